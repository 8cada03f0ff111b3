//! Headless-Chromium journeys against the real router on a loopback port.
mod aktivasi;
mod bast;
mod pengajuan;
mod permintaan;
mod portal;
mod proses;
mod rekapitulasi;
#[allow(dead_code)]
mod webdriver;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use webdriver::{Browser, WdError};

use crate::support::{poll, require_service, PASSWORD};

/// A headless browser, or `None` (after a loud note) when the suite runs
/// without chromedriver (plain `cargo test`); under `CI=true` a missing
/// chromedriver fails the test.
async fn browser() -> Option<Browser> {
    let url = require_service("chromedriver", "SIFILMA_TEST_WEBDRIVER")?;
    Some(Browser::start(&url).await.expect("start browser"))
}

/// Where a screenshot or other artifact named `name` is kept.
pub fn artifact(name: &str) -> PathBuf {
    let dir = std::env::var("SIFILMA_TEST_ARTIFACTS").unwrap_or_else(|_| std::env::temp_dir().join("sifilma-artifacts").display().to_string());
    PathBuf::from(dir).join(name)
}

/// Serves the real router on a free loopback port for the browser.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
    });
    format!("http://{addr}")
}

/// Polls `f` (without panicking, so the browser is still closed) until it
/// gives `Some`; a `timeout` error naming `what` otherwise. `f` sees
/// WebDriver errors as `Err` and they end the wait at once.
async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> Result<T, WdError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, WdError>>,
{
    // A WebDriver error ends the wait at once: it is `Some(Err)` to `poll`.
    let got = poll(timeout, Duration::from_millis(100), || {
        let step = f();
        async move { step.await.transpose() }
    })
    .await;
    got.unwrap_or_else(|elapsed| Err(WdError::timeout(what, elapsed)))
}

/// Resizes the window and waits until the page's viewport has that width
/// (the resize is applied asynchronously by the browser).
async fn resize(browser: &Browser, width: u32, height: u32) -> Result<(), WdError> {
    browser.set_window_size(width, height).await?;
    wait_until(&format!("a viewport of at most {width} px"), Duration::from_secs(5), || async {
        let inner = browser.execute("return window.innerWidth", &[]).await?;
        Ok(inner.as_u64().is_some_and(|w| w <= u64::from(width)).then_some(()))
    })
    .await
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
    resize(browser, 360, 780).await?;
    let width = browser.execute("return document.documentElement.scrollWidth", &[]).await?;
    browser.screenshot(artifact(shot)).await?;
    browser.set_window_size(1280, 900).await?;
    assert!(width.as_u64().is_some_and(|w| w <= 360), "{shot}: page is {width} px wide at 360 px");
    Ok(())
}
