//! In Chromium: the admin opens Reports from the menu, narrows it to the
//! handed-over lines of November 2026, and the charts are drawn (SVG with
//! bars) and fit a phone screen.
use std::time::Duration;

use serde_json::Value;

use super::{artifact, log_in, serve, wait_until, webdriver::WdError};
use crate::support::{boot, scenario::recap_fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_a_report_filter_and_sees_the_charts() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    recap_fixture(&ctx).await;
    let base = serve(boot.router.clone().expect("router")).await;

    let outcome = async {
        log_in(&browser, &base, "admin_pusat").await?;
        browser.find("a[data-nav='reports']").await?.click().await?;
        browser.wait_for_text("h1", "Rekapitulasi Personalisasi Kartu SAM", Duration::from_secs(5)).await?;
        browser.goto(&format!("{base}/reports?month=2026-11")).await?;
        browser.find("#f-basis option[value='serah-terima']").await?.click().await?;
        browser.find("#apply-filter").await?.click().await?;
        browser.wait_for_text("#criteria", "Tgl Serah Terima", Duration::from_secs(5)).await?;
        browser.wait_for_text("#criteria", "November 2026", Duration::from_secs(5)).await?;
        let bars = wait_until("bars in the monthly chart", Duration::from_secs(5), || async {
            let n = browser.execute("return document.querySelectorAll('#months-chart svg.chart rect').length", &[]).await?;
            Ok(n.as_u64().filter(|n| *n >= 3))
        })
        .await?;
        let width = browser.execute("return document.querySelector('#stages-chart svg.chart').getBoundingClientRect().width", &[]).await?;
        assert!(width.as_f64().is_some_and(|w| w > 100.0), "the lead-time chart is drawn ({width})");
        browser.screenshot(artifact("reports-1280.png")).await?;
        super::assert_fits_phone(&browser, "reports-360.png").await?;
        Ok::<Value, WdError>(Value::from(bars))
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("reports-failure.png")).await;
    }
    browser.close().await.expect("close browser");
    outcome.expect("browser journey");
}
