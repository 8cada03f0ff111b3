//! The portal in headless Chromium, as a person uses it: landing → login →
//! dashboard → Change Password → Logout → the old password is refused.
use std::time::Duration;

use serde_json::Value;

use super::{
    artifact, serve,
    webdriver::{Browser, WdError},
};
use crate::support::{account, boot, PASSWORD};

const NEW_PASSWORD: &str = "Sandi-Baru-Peramban-2026";

async fn log_in(browser: &Browser, base: &str, password: &str) -> Result<(), WdError> {
    browser.goto(&format!("{base}/login")).await?;
    browser.find("#username").await?.send_keys("pt_nyra").await?;
    browser.find("#password").await?.send_keys(password).await?;
    browser.find("#sign-in").await?.click().await
}

async fn open_user_menu(browser: &Browser) -> Result<(), WdError> {
    browser.find(".user-menu summary").await?.click().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_change_password_logout_in_chromium() {
    let Some(browser) = super::browser().await else { return };
    let boot = boot().await;
    let ctx = boot.app_context.clone();
    account(&ctx, "pt_nyra", "produsen", "active").await;
    let base = serve(boot.router.clone().expect("router")).await;

    let outcome = async {
        browser.goto(&format!("{base}/")).await?;
        browser.wait_for_text("#app-rekap", "Sistem Rekapitulasi Kartu SAM", Duration::from_secs(5)).await?;
        browser.find("#app-rekap").await?.click().await?;
        browser.wait_for_text("h1", "Login Personalisasi", Duration::from_secs(5)).await?;

        log_in(&browser, &base, PASSWORD).await?;
        browser.wait_for_text("#welcome", "Selamat datang, Nama pt_nyra", Duration::from_secs(5)).await?;
        browser.screenshot(artifact("dashboard-1280.png")).await?;

        super::assert_fits_phone(&browser, "dashboard-360.png").await?;

        open_user_menu(&browser).await?;
        browser.find("a[href='/password']").await?.click().await?;
        browser.wait_for_text("h1", "Change Password", Duration::from_secs(5)).await?;
        browser.find("#f-old_password").await?.send_keys(PASSWORD).await?;
        browser.find("#f-new_password").await?.send_keys(NEW_PASSWORD).await?;
        browser.find("#f-confirmation").await?.send_keys(NEW_PASSWORD).await?;
        browser.find("#change-password").await?.click().await?;
        browser.wait_for_text(".alert-success", "Password berhasil diubah", Duration::from_secs(5)).await?;

        open_user_menu(&browser).await?;
        browser.find("#logout-button").await?.click().await?;
        browser.wait_for_text(".alert-success", "Anda telah keluar", Duration::from_secs(5)).await?;

        log_in(&browser, &base, PASSWORD).await?;
        browser.wait_for_text("#login-error", "Username atau password salah.", Duration::from_secs(5)).await?;
        browser.screenshot(artifact("login-refused.png")).await?;
        let url = browser.current_url().await?;
        assert!(url.ends_with("/login"), "still on the login page: {url}");

        log_in(&browser, &base, NEW_PASSWORD).await?;
        browser.wait_for_text("#welcome", "Selamat datang", Duration::from_secs(5)).await?;
        Ok::<Value, WdError>(Value::Null)
    }
    .await;
    if outcome.is_err() {
        let _ = browser.screenshot(artifact("failure.png")).await;
    }
    browser.close().await.expect("close browser");
    outcome.expect("browser journey");
}
