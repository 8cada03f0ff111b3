//! Issue 16 (4): the operators' probes and metrics — `/_health` needs
//! nothing, `/_readiness` names the dependency that fails (database and
//! schema, stations' Redis), an older binary refuses a newer database,
//! Prometheus metrics live on their own address with bounded route labels;
//! and the client address behind a reverse proxy.
use std::time::Duration;

use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use sifilma::{
    app::App,
    models::_entities::audit_events,
    server::client_address,
    settings::{Settings, StationSettings},
    workers::stations::Stations,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{require_service, scenario, with_app, Client};

fn with_stations_redis(ctx: &loco_rs::app::AppContext, url: &str) {
    let settings = StationSettings { redis_url: url.into(), ..StationSettings::default() };
    ctx.shared_store.insert(Stations::from_settings(&settings).unwrap());
}

#[tokio::test]
async fn probes_answer_without_a_session_and_readiness_names_what_fails() {
    with_app(|server, ctx| async move {
        let alive = server.get("/_health").await;
        assert_eq!(alive.status_code(), 200);
        assert!(alive.maybe_header("set-cookie").is_none(), "a probe gets no cookie");
        let ready = server.get("/_readiness").await;
        assert_eq!(ready.status_code(), 200, "{}", ready.text());
        assert!(ready.text().contains(r#""name":"database","ok":true"#), "{}", ready.text());

        // The stations' Redis is down: not ready, and it says which.
        with_stations_redis(&ctx, "redis://127.0.0.1:1");
        let down = server.get("/_readiness").await;
        assert_eq!(down.status_code(), 503);
        assert!(down.text().contains(r#""name":"stations_redis","ok":false"#), "{}", down.text());
        if let Some(url) = require_service("Redis", "SIFILMA_TEST_REDIS_URL") {
            with_stations_redis(&ctx, &url);
            let up = server.get("/_readiness").await;
            assert_eq!(up.status_code(), 200, "{}", up.text());
            assert!(up.text().contains(r#""name":"stations_redis","ok":true"#));
        }
        with_stations_redis(&ctx, "");

        // A newer version migrated this database: this build is not ready
        // and refuses to boot on it.
        let backend = ctx.db.get_database_backend();
        ctx.db
            .execute_raw(sea_orm::Statement::from_string(
                backend,
                "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_a_newer_version', 0)",
            ))
            .await
            .unwrap();
        let newer = server.get("/_readiness").await;
        assert_eq!(newer.status_code(), 503);
        assert!(newer.text().contains("m20991231_000001_from_a_newer_version"), "{}", newer.text());
        let mut config = App::load_config(&Environment::Test).await.unwrap();
        config.database.uri = ctx.config.database.uri.clone();
        let refused = App::boot(StartMode::ServerOnly, &Environment::Test, config).await.err().expect("an older build refuses a newer database");
        assert!(refused.to_string().contains("newer version"), "{refused}");
    })
    .await;
}

async fn scrape(addr: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("metrics listener");
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: metrics\r\n\r\n").await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut out)).await.expect("metrics answer in time").unwrap();
    out
}

#[tokio::test]
async fn metrics_live_on_their_own_address_with_route_patterns_as_labels() {
    with_app(|server, ctx| async move {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let mut settings = (*Settings::get(&ctx)).clone();
        settings.metrics_bind.clone_from(&addr);
        ctx.shared_store.insert(std::sync::Arc::new(settings));
        sifilma::server::metrics::serve(&ctx).await.unwrap();
        scenario::station(&ctx, "ST-METRIK", true).await;

        crate::support::admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        client.get("/permintaan/12345").await;
        client.get("/tidak-ada/../../etc/passwd").await;
        assert_eq!(server.get("/metrics").await.status_code(), 404, "not on the public port");

        let text = scrape(&addr).await;
        assert!(text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"), "{text}");
        for wanted in [
            r#"http_requests_total{method="POST",route="/login",status="303"} 1"#,
            r#"route="/permintaan/{id}""#,
            r#"route="unmatched""#,
            "http_request_duration_seconds_bucket",
            r#"sifilma_mail_outbox{status="pending"}"#,
            r#"sifilma_mail_outbox{status="failed"}"#,
            "sifilma_mail_outbox_oldest_pending_age_seconds",
            "sifilma_runs_in_progress 0",
            r#"sifilma_station_cards_last_minute{station="ST-METRIK",outcome="clear"} 0"#,
        ] {
            assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
        }
        assert!(!text.contains("passwd") && !text.contains("12345"), "raw paths never become labels");
    })
    .await;
}

#[test]
fn the_client_behind_a_trusted_proxy_is_the_nearest_untrusted_forwarded_address() {
    let proxy: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    let client: std::net::IpAddr = "203.0.113.7".parse().unwrap();
    let trusted = [proxy];
    // Not from the proxy: the header is whatever the client wrote.
    assert_eq!(client_address(client, Some("198.51.100.1"), &trusted), client);
    assert_eq!(client_address(proxy, Some("203.0.113.7"), &trusted), client);
    // A forged entry on the left does not win over what the proxy saw.
    assert_eq!(client_address(proxy, Some("198.51.100.1, 203.0.113.7"), &trusted), client);
    assert_eq!(client_address(proxy, Some("garbage"), &trusted), proxy);
    assert_eq!(client_address(proxy, None, &trusted), proxy);
    assert_eq!(client_address(proxy, Some("203.0.113.7"), &[]), proxy, "no proxy trusted: the header is ignored");
}

#[tokio::test]
async fn a_login_behind_the_proxy_is_recorded_and_throttled_by_the_forwarded_address() {
    with_app(|server, ctx| async move {
        let last_failure_ip = || async {
            audit_events::Entity::find()
                .filter(audit_events::Column::Action.eq("login.failed"))
                .order_by_desc(audit_events::Column::Id)
                .one(&ctx.db)
                .await
                .unwrap()
                .and_then(|e| e.ip)
                .unwrap_or_default()
        };
        let mut client = Client::new(&server);
        client.forwarded_for = Some("203.0.113.7".into());
        client.login("tidak_ada", "salah-salah-salah").await;
        let peer = last_failure_ip().await;
        assert_ne!(peer, "203.0.113.7", "without trusted proxies the header is ignored");

        let mut settings = (*Settings::get(&ctx)).clone();
        settings.server.trusted_proxies = vec![peer.parse().expect("the test peer is an IP address")];
        ctx.shared_store.insert(std::sync::Arc::new(settings));
        client.login("tidak_ada", "salah-salah-salah").await;
        assert_eq!(last_failure_ip().await, "203.0.113.7");
    })
    .await;
}
