use std::sync::Arc;

use loco_rs::environment::Environment;
use sifilma::{controllers::session::Visitor, settings::Settings};

fn settings(seed_demo: bool) -> Settings {
    Settings {
        seed_demo,
        secure_cookies: false,
        upload_dir: "x".into(),
        public_url: "http://localhost".into(),
        mail_from: "a@b".into(),
        disposition_days: 3,
        stations: sifilma::settings::StationSettings::default(),
        metrics_bind: String::new(),
        activation_key_path: String::new(),
        retention: sifilma::models::housekeeping::Retention::default(),
        server: sifilma::server::ServerLimits::default(),
    }
}

#[test]
fn production_refuses_demo_accounts_and_the_simulated_station() {
    let with_redis = |seed_demo| {
        let mut s = settings(seed_demo);
        s.stations.redis_url = "redis://10.0.0.5:6379/2".into();
        s
    };
    assert!(with_redis(true).check_for(&Environment::Production).unwrap_err().to_string().contains("seed_demo"));
    assert!(with_redis(false).check_for(&Environment::Production).is_ok());
    assert!(settings(false).check_for(&Environment::Production).unwrap_err().to_string().contains("STATIONS_REDIS_URL"));
    assert!(settings(true).check_for(&Environment::Development).is_ok());
}

#[tokio::test]
async fn production_config_does_not_boot_with_seed_demo() {
    use loco_rs::app::Hooks;
    // nextest runs each test in its own process, so these variables stay local.
    if std::env::var("DATABASE_URL").is_err() {
        std::env::set_var("DATABASE_URL", "sqlite::memory:");
    }
    std::env::set_var("SEED_DEMO", "true");
    let config = sifilma::app::App::load_config(&Environment::Production).await;
    std::env::remove_var("SEED_DEMO");
    let config = config.expect("production config renders");
    let s = Settings::from_config(&config).unwrap();
    assert!(s.seed_demo && s.secure_cookies);
    assert!(s.check_for(&Environment::Production).is_err());
}

#[test]
fn session_cookie_is_secure_when_configured() {
    let visitor = |secure_cookies| Visitor {
        ip: "1.2.3.4".into(),
        user_agent: String::new(),
        csrf: String::new(),
        current: None::<Arc<_>>,
        secure_cookies,
        whatsapp: None,
    };
    assert!(visitor(true).session_cookie("t").ends_with("; Secure"));
    let plain = visitor(false).session_cookie("t");
    assert_eq!(plain, "sifilma_session=t; Path=/; HttpOnly; SameSite=Lax");
}

#[test]
fn the_station_profile_comes_from_config_with_defaults_for_what_is_left_out() {
    use sifilma::settings::StationSettings;
    let s: StationSettings = serde_json::from_value(serde_json::json!({ "lease_secs": 90, "profile": { "name": "SAM Dukcapil v2" } })).unwrap();
    assert_eq!((s.lease_secs, s.profile.name.as_str()), (90, "SAM Dukcapil v2"));
    let default = sifilma::station::profile::Profile::default();
    assert_eq!(s.profile.select, default.select, "steps not configured keep the test card's");
    assert!(s.profile.compile().is_ok());
    assert!(s.redis_url.is_empty(), "no Redis: the simulated station");
}

#[tokio::test]
async fn settings_kept_compact_for_cheap_context_clones_read_the_same() {
    use loco_rs::app::Hooks;
    let mut config = sifilma::app::App::load_config(&Environment::Development).await.expect("development config renders");
    let before = Settings::from_config(&config).unwrap();
    Settings::compact(&mut config);
    assert!(config.settings.as_ref().is_some_and(serde_json::Value::is_string), "one string: a clone is one copy");
    let after = Settings::from_config(&config).unwrap();
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
    // The CLI's `start` makes a second context from the first one's config.
    Settings::compact(&mut config);
    assert_eq!(format!("{:?}", Settings::from_config(&config).unwrap()), format!("{before:?}"));
}
