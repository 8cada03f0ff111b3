//! In Chromium: an operator starts a run on the simulated station, watches
//! the progress bar fill without reloading the page, and marks it Done.
use std::time::Duration;

use serde_json::Value;
use sifilma::{
    models::_entities::submissions,
    settings::StationSettings,
    workers::stations::{Link, Stations},
};

use super::{artifact, log_in, serve, webdriver::WdError};
use crate::support::{
    boot,
    scenario::{accepted_submission, station, user},
};
use sea_orm::EntityTrait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_runs_the_simulated_station_and_watches_progress_to_done() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    let router = boot.router.clone().expect("router");
    let server = axum_test::TestServer::new(router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>()).unwrap();
    let id = accepted_submission(&server, &ctx).await;
    let op = user(&ctx, "operator_dc").await;
    sifilma::models::cards::perso_data::generate(&ctx.db, &op, id, "127.0.0.1").await.unwrap();
    let st = station(&ctx, "ST-E2E", true).await;
    // Slow virtual cards, so the bar is seen moving.
    ctx.shared_store
        .insert(Stations { link: Link::Simulated, settings: StationSettings { simulated_readers: 2, simulated_apdu_ms: 60, ..StationSettings::default() } });
    let base = serve(router).await;

    let outcome = async {
        log_in(&browser, &base, "operator_dc").await?;
        browser.goto(&format!("{base}/personalisasi/{id}")).await?;
        browser.find(&format!("#f-station option[value='{st}']")).await?.click().await?;
        browser.find("#start-run").await?.click().await?;
        browser.wait_for_text(".alert-success", "Proses personalisasi dimulai", Duration::from_secs(5)).await?;
        browser.execute("window.samePage = true; return null;", &[]).await?;
        // Every value the bar shows on the way, watched without a reload.
        let seen = std::cell::RefCell::new(Vec::new());
        let watched = super::wait_until("the bar at 100% and the run state \"selesai\"", Duration::from_secs(30), || async {
            let v = browser.execute("return [document.getElementById('run-bar').value, document.getElementById('run-state').textContent];", &[]).await?;
            let value = v[0].as_u64().unwrap_or(0);
            let mut seen = seen.borrow_mut();
            if seen.last() != Some(&value) {
                seen.push(value);
            }
            Ok((value == 100 && v[1].as_str().is_some_and(|s| s.contains("selesai"))).then_some(()))
        })
        .await;
        let seen = seen.into_inner();
        watched.map_err(|mut e| {
            e.message = format!("{}; bar values seen: {seen:?}", e.message);
            e
        })?;
        assert_eq!(seen.last(), Some(&100), "the bar reached 100%: {seen:?}");
        assert!(seen.iter().any(|v| *v > 0 && *v < 100), "the bar moved in place, without a reload: {seen:?}");
        browser.wait_for_text("#run-refresh", "Daftar kartu telah diperbarui", Duration::from_secs(5)).await?;
        // Without a click or a reload: the card table and the readers show
        // the final state, in Indonesian.
        let after = browser
            .execute(
                "return [window.samePage === true, document.querySelector('#perso-cards tbody').textContent, document.querySelector('#run-readers tbody').textContent];",
                &[],
            )
            .await?;
        assert_eq!(after[0], Value::Bool(true), "no navigation happened");
        let cards = after[1].as_str().unwrap_or_default();
        assert_eq!(cards.matches("Clear").count(), 5, "{cards}");
        assert!(!cards.contains("Menunggu"), "{cards}");
        let readers = after[2].as_str().unwrap_or_default();
        assert!(readers.contains("Selesai") && !readers.contains("working") && !readers.contains("waiting") && !readers.contains("Sedang memproses"), "{readers}");
        assert_eq!(browser.find("#mark-done").await?.attr("disabled").await?, None, "Done is enabled once every card is clear");
        browser.screenshot(artifact("proses-selesai.png")).await?;
        browser.find("#mark-done").await?.click().await?;
        browser.accept_alert().await?;
        browser.wait_for_text("#perso-status", "Done", Duration::from_secs(5)).await?;
        super::assert_fits_phone(&browser, "proses-done-360.png").await?;

        // Issue 11 D: the producer follows its submission from its menu,
        // read-only, with the counts and the estimates.
        super::log_out(&browser).await?;
        log_in(&browser, &base, "pt_nyra").await?;
        browser.find("#sidebar a[href='/personalisasi']").await?.click().await?;
        browser.find(&format!("#perso-table a[href='/personalisasi/{id}/lihat']")).await?.click().await?;
        browser.wait_for_text("#n-clear", "5", Duration::from_secs(5)).await?;
        browser.wait_for_text("#perso-status", "Done", Duration::from_secs(5)).await?;
        let page = browser.page_source().await?;
        assert!(page.contains("Tgl Estimasi Selesai") && !page.contains("id=\"run-readers\"") && !page.contains("id=\"export\""), "read-only, without station internals");
        super::assert_fits_phone(&browser, "proses-produsen-360.png").await?;
        Ok::<Value, WdError>(Value::Null)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("proses-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    outcome.expect("browser journey");
    let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
    assert_eq!(s.status, "done");
}
