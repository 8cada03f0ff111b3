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
    /// Reader stations (Proses Personalisasi).
    #[serde(default)]
    pub stations: StationSettings,
    /// `host:port` of this process's Prometheus `/metrics` listener (never
    /// the public port); empty: no metrics.
    #[serde(default)]
    pub metrics_bind: String,
    /// The registry's Ed25519 activation key (Sistem Aktivasi): a file of 64
    /// hex digits. Empty in tests: a key made for the process. Development
    /// creates the file on first start; production refuses to start
    /// without it (create it with the `activation_key` task).
    #[serde(default)]
    pub activation_key_path: String,
    /// How long finished rows are kept (housekeeping).
    #[serde(default)]
    pub retention: crate::models::housekeeping::Retention,
    /// Timeouts and the connection cap of the HTTP server.
    #[serde(default)]
    pub server: crate::server::ServerLimits,
}

/// How the portal reaches its reader stations.
#[derive(Clone, Debug, Deserialize)]
pub struct StationSettings {
    /// Redis of the stations (Sidekiq protocol), e.g. `redis://127.0.0.1/2`:
    /// its own database, never Loco's queue. Empty: the in-process simulated
    /// station personalizes virtual cards instead.
    #[serde(default)]
    pub redis_url: String,
    /// Key prefix of every station key in that Redis.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// A run whose station sent nothing for this long is reclaimed and its
    /// pending cards are sent again.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
    /// How long a reader waits for the next card before the batch ends.
    #[serde(default = "default_card_wait_ms")]
    pub card_wait_ms: u64,
    /// Watchdog per APDU.
    #[serde(default = "default_apdu_timeout_ms")]
    pub apdu_timeout_ms: u64,
    /// Readers of the simulated station.
    #[serde(default = "default_sim_readers")]
    pub simulated_readers: usize,
    /// Time a simulated card takes per APDU, so progress is visible.
    #[serde(default = "default_sim_apdu_ms")]
    pub simulated_apdu_ms: u64,
    /// The APDU script stations run (`src/station/profile.rs`); the default
    /// matches the test SAM. Parts left out keep their default.
    #[serde(default)]
    pub profile: crate::station::profile::Profile,
}

impl Default for StationSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every field has a default")
    }
}

fn default_namespace() -> String {
    "sifilma".to_string()
}
const fn default_lease_secs() -> u64 {
    60
}
const fn default_card_wait_ms() -> u64 {
    30_000
}
const fn default_apdu_timeout_ms() -> u64 {
    5_000
}
const fn default_sim_readers() -> usize {
    4
}
const fn default_sim_apdu_ms() -> u64 {
    15
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
    /// Reads the block as the YAML gave it, or as [`Self::compact`] left it.
    ///
    /// # Errors
    /// When the `settings` block has the wrong shape.
    pub fn from_config(config: &Config) -> Result<Self> {
        let parsed = match &config.settings {
            None => serde_json::from_value(serde_json::json!({})),
            Some(serde_json::Value::String(kept)) => serde_json::from_str(kept),
            Some(block) => Self::deserialize(block),
        };
        parsed.map_err(|e| loco_rs::Error::string(&format!("invalid settings block: {e}")))
    }

    /// Keeps the block as one JSON string. Axum clones Loco's `AppContext`,
    /// config included, for every request (it is every route's state): the
    /// block as a map of some twenty keys cost 3 % of a list page's CPU, one
    /// string costs a copy. The block stays in the config, readable by
    /// [`Self::from_config`], because the CLI's `start` makes a second
    /// context from the first one's config.
    pub fn compact(config: &mut Config) {
        if let Some(block @ serde_json::Value::Object(_)) = &config.settings {
            config.settings = Some(serde_json::Value::String(block.to_string()));
        }
    }

    /// Production refuses demo accounts (their passwords are published) and
    /// the simulated station (it would mark real cards personalized).
    ///
    /// # Errors
    /// When `seed_demo` is on, or no stations' Redis is set, in production.
    pub fn check_for(&self, environment: &loco_rs::environment::Environment) -> Result<()> {
        if *environment != loco_rs::environment::Environment::Production {
            return Ok(());
        }
        if self.seed_demo {
            return Err(loco_rs::Error::string("settings.seed_demo is not allowed in production: demo accounts have published passwords"));
        }
        if self.stations.redis_url.trim().is_empty() {
            return Err(loco_rs::Error::string(
                "settings.stations.redis_url (STATIONS_REDIS_URL) is required in production: without it the simulated station would mark real cards personalized",
            ));
        }
        Ok(())
    }

    /// The activation key this process signs with: loaded from
    /// `activation_key_path`; made for the process when that is empty (tests);
    /// created there on first start in development (and said in the log).
    /// `None` in production when the file is missing: `start` then refuses.
    ///
    /// # Errors
    /// When the file exists but is not a key, or cannot be created.
    pub fn activation_key(&self, environment: &loco_rs::environment::Environment) -> Result<Option<crate::models::activations::ActivationKey>> {
        use crate::models::activations::ActivationKey;
        let path = self.activation_key_path.trim();
        if path.is_empty() {
            return Ok((*environment != loco_rs::environment::Environment::Production).then(ActivationKey::generate));
        }
        let path = std::path::Path::new(path);
        if path.exists() {
            return ActivationKey::load(path).map(Some).map_err(|e| loco_rs::Error::string(&e));
        }
        if *environment == loco_rs::environment::Environment::Production {
            return Ok(None);
        }
        let key = ActivationKey::generate();
        key.save(path).map_err(|e| loco_rs::Error::string(&e))?;
        tracing::warn!(path = %path.display(), public_key = key.public_hex(), "development: a new activation key was generated");
        Ok(Some(key))
    }

    /// The context a state change needs, for a request from `ip`.
    #[must_use]
    pub fn env<'a>(&'a self, ip: &'a str) -> crate::models::Env<'a> {
        crate::models::Env { base_url: &self.public_url, upload_dir: &self.upload_dir, ip, disposition_days: self.disposition_days }
    }

    /// The settings stored at boot, shared (a page reads them without copying).
    ///
    /// # Panics
    /// Only if `after_context` did not run, which Loco guarantees it does.
    #[must_use]
    pub fn get(ctx: &AppContext) -> std::sync::Arc<Self> {
        ctx.shared_store.get::<std::sync::Arc<Self>>().expect("settings stored at boot")
    }
}
