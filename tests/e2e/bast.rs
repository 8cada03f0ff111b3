//! In Chromium: from a Done submission, the producer records Jumlah
//! Diterima, prints the BAST and the card list, and downloads the BAST.
use std::time::Duration;

use serde_json::{json, Value};

use super::{artifact, log_in, serve, webdriver::WdError};
use crate::support::{boot, scenario::done_submission};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sifilma::models::_entities::documents;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_receives_prints_and_downloads_the_bast() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    let router = boot.router.clone().expect("router");
    let server = axum_test::TestServer::new(router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>()).unwrap();
    let id = done_submission(&server, &ctx).await;
    let base = serve(router).await;

    let outcome = async {
        log_in(&browser, &base, "pt_nyra").await?;
        browser.goto(&format!("{base}/bast")).await?;
        browser.find(&format!("#bast-table a[href='/bast/{id}#penerimaan']")).await?.click().await?;
        browser.wait_for_text("#handover-status", "Done", Duration::from_secs(5)).await?;
        super::assert_fits_phone(&browser, "bast-receive-360.png").await?;
        // Jumlah Diterima starts empty: submitting without counting is refused
        // by the server, in Indonesian, beside each line.
        let inputs = browser.find_all("#lines input[type=number]").await?;
        assert_eq!(inputs.len(), 2);
        for input in &inputs {
            assert_eq!(input.attr("value").await?.unwrap_or_default(), "", "Jumlah Diterima is not pre-filled");
        }
        browser.find("#submit-receipt").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text(".field-error", "wajib diisi", Duration::from_secs(5)).await?;
        assert_eq!(browser.find_all(".field-error").await?.len(), 2, "one message per line");
        assert_eq!(browser.find("#handover-status").await?.text().await?, "Done", "nothing saved");
        for input in browser.find_all("#lines input[type=number]").await? {
            let max = input.attr("max").await?.unwrap_or_default();
            input.clear().await?;
            input.send_keys(&max).await?;
        }
        browser.find("#submit-receipt").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text("#handover-status", "Received", Duration::from_secs(5)).await?;
        for c in browser.find_all("#lines input[type=checkbox]").await? {
            c.click().await?;
        }
        browser.find("#print-documents").await?.click().await?;
        browser.wait_for_text(".alert-success", "Dokumen sedang dibuat", Duration::from_secs(5)).await?;
        let link = browser.wait_for_text("#documents a.doc-link", "BAST-SAM-", Duration::from_secs(10)).await?;
        let href = link.attr("href").await?.unwrap_or_default();
        let got = browser
            .execute(
                "return fetch(arguments[0]).then(r => r.arrayBuffer().then(a => { const b = new Uint8Array(a); return [r.status, r.headers.get('content-disposition'), b.length, b[0], b[1]]; }));",
                &[json!(href)],
            )
            .await?;
        assert_eq!(got[0], json!(200));
        assert!(got[1].as_str().is_some_and(|d| d.starts_with("attachment; filename=\"BAST-SAM-") && d.ends_with(".docx\"")), "{got:?}");
        assert_eq!((got[3].clone(), got[4].clone()), (json!(b'P'), json!(b'K')), "a .docx (zip) file");
        let names: Vec<String> = {
            let mut v = Vec::new();
            for a in browser.find_all("#documents a.doc-link").await? {
                v.push(a.text().await?);
            }
            v
        };
        assert!(names.iter().any(|n| n.starts_with("Daftar-Kartu-PERSO-")), "{names:?}");
        browser.screenshot(artifact("bast-documents.png")).await?;

        // Issue 11 A: rows drawn by the documents poll show "Dibuat" in WIB,
        // exactly as the page does after a reload (not the browser's local
        // time). The documents are put back to "queued" so the poll runs.
        let set_status = |status: &'static str| {
            let db = ctx.db.clone();
            async move {
                documents::Entity::update_many().col_expr(documents::Column::Status, sea_orm::prelude::Expr::value(status)).filter(documents::Column::SubmissionId.eq(id)).exec(&db).await.unwrap();
            }
        };
        set_status("queued").await;
        browser.goto(&format!("{base}/bast/{id}")).await?;
        browser.wait_for_text("#documents", "Sedang dibuat", Duration::from_secs(5)).await?;
        set_status("ready").await;
        browser.wait_for_text("#documents a.doc-link", "BAST-SAM-", Duration::from_secs(10)).await?;
        let dibuat = "return Array.from(document.querySelectorAll('#documents td[data-label=Dibuat]')).map(function (td) { return td.textContent; });";
        let polled = browser.execute(dibuat, &[]).await?;
        browser.goto(&format!("{base}/bast/{id}")).await?;
        let reloaded = browser.execute(dibuat, &[]).await?;
        assert_eq!(polled, reloaded, "the same time text before and after a reload");
        let first = polled[0].as_str().unwrap_or_default().to_string();
        let shape = first.len() == 17 && first.as_bytes()[2] == b' ' && first.as_bytes()[14] == b':';
        assert!(shape, "\"dd Mmm yyyy HH:MM\" in WIB, got {first:?}");
        Ok::<Value, WdError>(Value::Null)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("bast-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    outcome.expect("browser journey");
}
