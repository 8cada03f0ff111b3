//! In Chromium: from the landing page's second card (Sistem Aktivasi
//! Kartu SAM) to a downloaded manifest that verifies with the registry's
//! public key alone. The institution signs in from the card, files a
//! Permohonan Aktivasi for a SAM it received (a wrong Nomor Perso first
//! comes back per row with nothing saved), the admin approves it, and the
//! institution downloads the reader's signed manifest.
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use sifilma::models::{
    _entities::{activation_requests, cards},
    activations::{ActivationKey, Manifest},
};

use super::{artifact, log_in, log_out, serve, webdriver::WdError};
use crate::support::{boot, fixtures::pdf, scenario::received_submission, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_landing_card_to_a_verified_manifest() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    let router = boot.router.clone().expect("router");
    let server = axum_test::TestServer::new(router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>()).unwrap();
    let id = received_submission(&server, &ctx).await;
    let sam =
        cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).filter(cards::Column::Serial.eq("0SAM00000001")).one(&ctx.db).await.unwrap().unwrap();
    let perso = sam.perso_number.clone().expect("personalized");
    let key = ctx.shared_store.get::<ActivationKey>().expect("the process's key");
    let letter = std::env::temp_dir().join(format!("surat-aktivasi-{}.pdf", std::process::id()));
    std::fs::write(&letter, pdf()).unwrap();
    let base = serve(router).await;

    let outcome = async {
        // The landing page's second card leads through the login to the list.
        browser.goto(&format!("{base}/")).await?;
        browser.find("#app-aktivasi").await?.click().await?;
        browser.find("#username").await?.send_keys("bank_abc").await?;
        browser.find("#password").await?.send_keys(PASSWORD).await?;
        browser.find("#sign-in").await?.click().await?;
        browser.wait_for_text("main", "Ajukan Permohonan Aktivasi", Duration::from_secs(5)).await?;
        assert!(browser.current_url().await?.ends_with("/aktivasi"), "back on the card's page after signing in");
        super::assert_fits_phone(&browser, "aktivasi-list-360.png").await?;

        browser.goto(&format!("{base}/aktivasi/baru")).await?;
        let fill = |perso: String| {
            let (browser, letter) = (&browser, &letter);
            async move {
                browser.find("#f-institution_id option:nth-child(2)").await?.click().await?;
                for (css, text) in [
                    ("#f-letter_number", "470/AKT/BANK-ABC/XII/2026".to_string()),
                    ("input[name=reader_type_1]", "Type IdGlobalScan GSX-01".to_string()),
                    ("input[name=reader_serial_1]", "CR-BDG-0001".to_string()),
                    ("input[name=sam_serial_1]", "0SAM00000001".to_string()),
                    ("input[name=perso_number_1]", perso),
                    ("input[name=province_1]", "Jawa Barat".to_string()),
                    ("input[name=city_1]", "Kota Bandung".to_string()),
                ] {
                    let field = browser.find(css).await?;
                    field.clear().await?;
                    field.send_keys(&text).await?;
                }
                browser.find("#f-file").await?.send_keys(&letter.display().to_string()).await?;
                browser.find("#file-activation").await?.click().await?;
                Ok::<(), WdError>(())
            }
        };
        // A Nomor Perso that is not this SAM's: told per row, nothing saved.
        fill("PN-SALAH".into()).await?;
        browser.wait_for_text("#row-errors", "Baris 1: Nomor Perso PN-SALAH bukan milik kartu SAM 0SAM00000001.", Duration::from_secs(5)).await?;
        assert_eq!(activation_requests::Entity::find().count(&ctx.db).await.unwrap(), 0, "nothing saved");
        fill(perso.clone()).await?;
        browser.wait_for_text("#activation-status", "Menunggu disposisi", Duration::from_secs(5)).await?;
        let page = browser.find("main").await?.text().await?;
        assert!(page.contains("hari kerja"), "the FAQ's estimate is shown: {page}");
        let request = browser.current_url().await?;
        browser.screenshot(artifact("aktivasi-filed.png")).await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "admin_pusat").await?;
        browser.goto(&request).await?;
        browser.find("#approve-activation").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text("#activation-status", "Disetujui", Duration::from_secs(5)).await?;
        log_out(&browser).await?;

        log_in(&browser, &base, "bank_abc").await?;
        browser.goto(&request).await?;
        let link = browser.wait_for_text("#activation-readers a[id^=manifest-]", "Unduh Manifest", Duration::from_secs(5)).await?;
        super::assert_fits_phone(&browser, "aktivasi-approved-360.png").await?;
        let href = link.attr("href").await?.unwrap_or_default();
        let got = browser
            .execute("return fetch(arguments[0]).then(r => r.text().then(t => [r.status, r.headers.get('content-disposition'), t]));", &[json!(href)])
            .await?;
        assert_eq!(got[0], json!(200));
        assert!(got[1].as_str().is_some_and(|d| d.starts_with("attachment; filename=\"AKT-") && d.ends_with(".manifest\"")), "{got:?}");
        let file = got[2].as_str().unwrap_or_default().to_string();
        Ok::<String, WdError>(file)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("aktivasi-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    let _ = std::fs::remove_file(&letter);
    let file = outcome.expect("browser journey");

    // The downloaded file verifies with the public key alone, and names
    // the SAM and reader that were filed.
    let m = Manifest::check(file.as_bytes(), &key.public_hex()).expect("the downloaded manifest verifies");
    assert_eq!((m.sam_serial.as_str(), m.reader_serial.as_str(), m.perso_number.as_str()), ("0SAM00000001", "CR-BDG-0001", perso.as_str()));
    let changed = file.replacen("CR-BDG-0001", "CR-BDG-0002", 1);
    assert!(Manifest::check(changed.as_bytes(), &key.public_hex()).is_err(), "one changed byte fails");
}
