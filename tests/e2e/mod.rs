//! Headless-Chromium journeys against the real router on a loopback port.
#[allow(dead_code)]
mod webdriver;
mod bast;
mod pengajuan;
mod permintaan;
mod portal;
mod proses;

use std::time::Duration;

use webdriver::{Browser, WdError};

use crate::support::PASSWORD;

/// A headless browser, or `None` (after a note) when the suite runs without
/// chromedriver (plain `cargo test`).
async fn browser() -> Option<Browser> {
    let Some(browser) = Browser::from_env().await else {
        eprintln!("skipping: SIFILMA_TEST_WEBDRIVER is not set (run the suite with `bash .ci/test`)");
        return None;
    };
    Some(browser.expect("start browser"))
}

/// Logs `username` in through the login form and waits for the dashboard.
async fn log_in(browser: &Browser, base: &str, username: &str) -> Result<(), WdError> {
    browser.goto(&format!("{base}/login")).await?;
    browser.find("#username").await?.send_keys(username).await?;
    browser.find("#password").await?.send_keys(PASSWORD).await?;
    browser.find("#sign-in").await?.click().await?;
    browser.wait_for_text("#welcome", "Selamat datang", Duration::from_secs(5)).await?;
    Ok(())
}

/// Logs out through the user menu.
async fn log_out(browser: &Browser) -> Result<(), WdError> {
    browser.find(".user-menu summary").await?.click().await?;
    browser.find("#logout-button").await?.click().await?;
    browser.wait_for_text(".alert-success", "Anda telah keluar", Duration::from_secs(5)).await?;
    Ok(())
}

/// The current page at 360 px wide has no horizontal scroll; a screenshot is
/// kept, and the window goes back to desktop size.
async fn assert_fits_phone(browser: &Browser, shot: &str) -> Result<(), WdError> {
    browser.set_window_size(360, 780).await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let width = browser.execute("return document.documentElement.scrollWidth", &[]).await?;
    browser.screenshot(portal::artifact(shot)).await?;
    browser.set_window_size(1280, 900).await?;
    assert!(width.as_u64().is_some_and(|w| w <= 360), "{shot}: page is {width} px wide at 360 px");
    Ok(())
}
