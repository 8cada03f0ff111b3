//! In Chromium: an institution files a request with a PDF, the producer
//! approves it, the institution sees "Approved" on its timeline.
use std::time::Duration;

use serde_json::Value;

use super::{artifact, log_in, log_out, serve, webdriver::WdError};
use crate::support::{account, boot, fixtures::pdf, scenario::machine_type};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn institution_files_producer_approves_institution_sees_approved() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    account(&ctx, "bank_abc", "lembaga", "active").await;
    let nyra = account(&ctx, "pt_nyra", "produsen", "active").await;
    machine_type(&ctx).await;
    let letter = std::env::temp_dir().join(format!("surat-permintaan-{}.pdf", std::process::id()));
    std::fs::write(&letter, pdf()).unwrap();
    let base = serve(boot.router.clone().expect("router")).await;

    let outcome = async {
        log_in(&browser, &base, "bank_abc").await?;
        browser.find("a[data-nav='permintaan']").await?.click().await?;
        browser.find("#new-request").await?.click().await?;
        browser.find("#f-number").await?.send_keys("470/777/BANK-ABC/XI/2026").await?;
        browser.find("#f-title").await?.send_keys("Kartu SAM untuk 100 kantor cabang").await?;
        browser.find("#f-quantity").await?.send_keys("100").await?;
        browser.find(&format!("#f-producer_id option[value='{}']", nyra.organisation_id.unwrap())).await?.click().await?;
        browser.find("#f-machine_type_id option:nth-child(2)").await?.click().await?;
        browser.find("#f-file").await?.send_keys(&letter.display().to_string()).await?;
        browser.find("#submit-request").await?.click().await?;
        browser.wait_for_text("#request-status", "On Progress", Duration::from_secs(5)).await?;
        browser.screenshot(artifact("permintaan-filed.png")).await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "pt_nyra").await?;
        browser.goto(&format!("{base}/permintaan")).await?;
        browser.wait_for_text("#requests-table", "470/777/BANK-ABC/XI/2026", Duration::from_secs(5)).await?;
        super::assert_fits_phone(&browser, "permintaan-list-360.png").await?;
        browser.find("#requests-table a.btn[href^='/permintaan/']").await?.click().await?;
        browser.find("#approve").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text("#request-status", "Approved", Duration::from_secs(5)).await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "bank_abc").await?;
        browser.goto(&format!("{base}/permintaan?status=approved")).await?;
        browser.find("#requests-table a.btn[href^='/permintaan/']").await?.click().await?;
        browser.wait_for_text("#timeline", "Approved", Duration::from_secs(5)).await?;
        browser.wait_for_text("#timeline", "pt_nyra", Duration::from_secs(5)).await?;
        browser.screenshot(artifact("permintaan-approved-timeline.png")).await?;
        Ok::<Value, WdError>(Value::Null)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("permintaan-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    let _ = std::fs::remove_file(&letter);
    outcome.expect("browser journey");
}
