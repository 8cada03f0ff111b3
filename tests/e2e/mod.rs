//! Headless-Chromium journeys against the real router on a loopback port.
#[allow(dead_code)]
mod webdriver;
mod pengajuan;
mod permintaan;
mod portal;

use std::time::Duration;

use webdriver::{Browser, WdError};

use crate::support::PASSWORD;

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
