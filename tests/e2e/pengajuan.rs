//! In Chromium: the producer downloads the card-list template, fills it
//! (generated here), submits; the admin accepts; the producer sees the Kode
//! Tiket and the estimated dates.
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{artifact, log_in, log_out, serve, webdriver::WdError};
use crate::support::{
    boot,
    fixtures::{cards_for, pdf, xlsx},
    scenario::{seed_request, world},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_submits_admin_accepts_producer_sees_ticket_and_dates() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    let w = world(&ctx).await;
    let request = seed_request(&ctx, &w, "470/E2E/2026", "approved", NaiveDate::from_ymd_opt(2026, 11, 12).unwrap()).await;
    let dir = std::env::temp_dir().join(format!("sifilma-e2e-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let letter = dir.join("surat-pengajuan.pdf");
    std::fs::write(&letter, pdf()).unwrap();
    let sheet = dir.join("daftar-kartu.xlsx");
    std::fs::write(&sheet, xlsx(&cards_for("470/E2E/2026", 1, 100))).unwrap();
    let base = serve(boot.router.clone().expect("router")).await;

    let outcome = async {
        log_in(&browser, &base, "pt_nyra").await?;
        browser.goto(&format!("{base}/pengajuan")).await?;
        let template = browser
            .execute(
                "return fetch(document.querySelector('#download-template').href).then(r => r.arrayBuffer().then(a => { const b = new Uint8Array(a); return [r.status, r.headers.get('content-disposition'), b.length, b[0], b[1]]; }));",
                &[],
            )
            .await?;
        assert_eq!(template[0], json!(200));
        assert_eq!(template[1], json!("attachment; filename=\"Template-Daftar-Kartu-SAM.xlsx\""));
        assert_eq!((template[3].clone(), template[4].clone()), (json!(b'P'), json!(b'K')), "an xlsx (zip) file");

        browser.find("#new-submission").await?.click().await?;
        super::assert_fits_phone(&browser, "pengajuan-form-360.png").await?;
        browser.find(&format!("#req-{}", request.id)).await?.click().await?;
        browser.find("#f-number").await?.send_keys("SP/E2E/NYRA/2026").await?;
        browser.find("#f-title").await?.send_keys("Pengajuan personalisasi uji").await?;
        browser.find("#f-card_count").await?.send_keys("100").await?;
        browser.find("#f-machine_type_id option:nth-child(2)").await?.click().await?;
        browser.find("#f-file").await?.send_keys(&letter.display().to_string()).await?;
        browser.find("#f-cards").await?.send_keys(&sheet.display().to_string()).await?;
        browser.find("#submit-submission").await?.click().await?;
        browser.wait_for_text("#submission-status", "New", Duration::from_secs(10)).await?;
        let url = browser.current_url().await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "admin_pusat").await?;
        browser.goto(&url).await?;
        browser.find("#accept").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text("#submission-status", "Accepted", Duration::from_secs(5)).await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "pt_nyra").await?;
        browser.goto(&url).await?;
        browser.wait_for_text("#ticket-code", "PERSO-", Duration::from_secs(5)).await?;
        let start = browser.find("#estimated-start").await?.text().await?;
        let finish = browser.find("#estimated-finish").await?.text().await?;
        assert!(start.contains(", ") && finish.contains(", "), "dates in Indonesian long form: {start} / {finish}");
        browser.screenshot(artifact("pengajuan-accepted.png")).await?;
        Ok::<Value, WdError>(Value::Null)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("pengajuan-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    let _ = std::fs::remove_dir_all(&dir);
    outcome.expect("browser journey");
}
