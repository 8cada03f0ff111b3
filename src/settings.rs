//! The `settings:` block of `config/<env>.yaml`, parsed once at boot.
use loco_rs::{app::AppContext, config::Config, Result};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Create the demo accounts of the README on boot (never in production).
    #[serde(default)]
    pub seed_demo: bool,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Where uploaded files live; outside `assets/`, never served directly.
    #[serde(default = "default_upload_dir")]
    pub upload_dir: String,
    /// Public base URL used in mails.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    /// Working days the leadership disposition takes after a submission is
    /// accepted (FAQ: 2–3); the schedule counts on it.
    #[serde(default = "default_disposition_days")]
    pub disposition_days: u32,
    /// Sender of every mail.
    #[serde(default = "default_mail_from")]
    pub mail_from: String,
}

const fn default_disposition_days() -> u32 {
    3
}
fn default_upload_dir() -> String {
    "storage/uploads".to_string()
}
fn default_public_url() -> String {
    "http://localhost:5150".to_string()
}
fn default_mail_from() -> String {
    "SI-FILMA Dukcapil <no-reply@sifilma.local>".to_string()
}

impl Settings {
    /// # Errors
    /// When the `settings` block has the wrong shape.
    pub fn from_config(config: &Config) -> Result<Self> {
        let value = config.settings.clone().unwrap_or_else(|| serde_json::json!({}));
        serde_json::from_value(value)
            .map_err(|e| loco_rs::Error::string(&format!("invalid settings block: {e}")))
    }

    /// Demo accounts have published passwords: production refuses them.
    ///
    /// # Errors
    /// When `seed_demo` is on in production.
    pub fn check_for(&self, environment: &loco_rs::environment::Environment) -> Result<()> {
        if self.seed_demo && *environment == loco_rs::environment::Environment::Production {
            return Err(loco_rs::Error::string(
                "settings.seed_demo is not allowed in production: demo accounts have published passwords",
            ));
        }
        Ok(())
    }

    /// The context a state change needs, for a request from `ip`.
    #[must_use]
    pub fn env<'a>(&'a self, ip: &'a str) -> crate::models::Env<'a> {
        crate::models::Env { base_url: &self.public_url, upload_dir: &self.upload_dir, ip, disposition_days: self.disposition_days }
    }

    /// The settings stored at boot.
    ///
    /// # Panics
    /// Only if `after_context` did not run, which Loco guarantees it does.
    #[must_use]
    pub fn get(ctx: &AppContext) -> Self {
        ctx.shared_store.get::<Self>().expect("settings stored at boot")
    }
}
