//! Test helpers: fresh database per test (SQLite file, or a PostgreSQL
//! database when `DATABASE_URL` points there), people of the domain, and a
//! small cookie-keeping client that speaks forms like a browser.
#![allow(dead_code)]

pub mod activation_recap;
pub mod fixtures;
pub mod processes;
pub mod remote;
pub mod sample_documents;
pub mod scenario;
mod services;
mod wait;

pub use services::{missing_service, require_program, require_service};
pub use wait::{eventually, poll, poll_blocking};

use std::{collections::BTreeMap, future::Future, sync::LazyLock};

use axum_test::{multipart::MultipartForm, TestResponse, TestServer};
use chrono::Utc;
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use sifilma::{
    app::App,
    models::{
        _entities::{organisations, users},
        users::hash_password,
    },
};

/// Every account made here has this password.
pub const PASSWORD: &str = "Rahasia-Uji-2026";
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| hash_password(PASSWORD));

/// A database of the test's own: a fresh SQLite file, or — when
/// `DATABASE_URL` points at PostgreSQL — a fresh database in the test
/// command's throwaway cluster (which is deleted whole afterwards, so the
/// database is not dropped here: the pool may still hold connections).
async fn fresh_database(configured: &str) -> String {
    // The PostgreSQL run of the test command says so; a run meant for
    // PostgreSQL must not quietly fall back to SQLite.
    if std::env::var("SIFILMA_TEST_DB").is_ok_and(|db| db == "postgres") {
        assert!(configured.starts_with("postgres"), "SIFILMA_TEST_DB=postgres but DATABASE_URL is not a PostgreSQL URL (PostgreSQL missing): {configured:?}");
    }
    let name = format!("sifilma_t_{}", uuid::Uuid::new_v4().simple());
    if configured.starts_with("postgres") {
        let (root, _) = configured.rsplit_once('/').expect("database url with a name");
        let admin = sea_orm::Database::connect(format!("{root}/postgres")).await.expect("connect to postgres");
        sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {name}")).await.expect("create database");
        admin.close().await.expect("close admin connection");
        format!("{root}/{name}")
    } else {
        let dir = std::env::temp_dir().join("sifilma-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.sqlite")).display())
    }
}

/// Boots the app (test environment) on a fresh database.
pub async fn boot() -> loco_rs::boot::BootResult {
    boot_with(|_| {}).await
}

/// Boots the app (test environment, changed by `edit`) on a fresh database.
pub async fn boot_with(edit: impl FnOnce(&mut loco_rs::config::Config)) -> loco_rs::boot::BootResult {
    use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
    let mut config = App::load_config(&Environment::Test).await.expect("test config");
    config.database.uri = fresh_database(&config.database.uri).await;
    edit(&mut config);
    App::boot(StartMode::ServerOnly, &Environment::Test, config).await.expect("boot")
}

/// Runs `f` against the real router on a database of its own.
pub async fn with_app<F, Fut>(f: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: Future<Output = ()>,
{
    with_app_config(|_| {}, f).await;
}

/// [`with_app`] with the test configuration changed by `edit` first.
pub async fn with_app_config<F, Fut>(edit: impl FnOnce(&mut loco_rs::config::Config), f: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: Future<Output = ()>,
{
    let boot = boot_with(edit).await;
    let router = boot.router.clone().expect("router");
    let server = TestServer::new(router.into_make_service_with_connect_info::<std::net::SocketAddr>()).expect("test server");
    f(server, boot.app_context.clone()).await;
    if let Some(path) = boot.app_context.config.database.uri.strip_prefix("sqlite://").and_then(|p| p.split('?').next()) {
        let _ = std::fs::remove_file(path);
    }
}

pub async fn organisation(ctx: &AppContext, name: &str, kind: &str) -> organisations::Model {
    let now = Utc::now();
    organisations::ActiveModel {
        name: Set(name.to_string()),
        kind: Set(kind.to_string()),
        pic_name: Set((kind == "produsen").then(|| "Andi Pratama".to_string())),
        pic_position: Set((kind == "produsen").then(|| "Direktur".to_string())),
        pic_address: Set((kind == "produsen").then(|| "Jl. Gatot Subroto, Jakarta".to_string())),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("organisation")
}

/// An account with `PASSWORD`, in a fresh organisation of the role's kind.
pub async fn account(ctx: &AppContext, username: &str, role: &str, status: &str) -> users::Model {
    let kind = match role {
        "admin" | "operator" => "pusat",
        other => other,
    };
    let org = organisation(ctx, &format!("Organisasi {username}"), kind).await;
    let now = Utc::now();
    users::ActiveModel {
        username: Set(username.to_string()),
        password_hash: Set(PASSWORD_HASH.clone()),
        name: Set(format!("Nama {username}")),
        email: Set(format!("{username}@uji.go.id")),
        role: Set(role.to_string()),
        organisation_id: Set(Some(org.id)),
        status: Set(sifilma::models::users::Status::parse(status).expect("a user status")),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .expect("account")
}

pub async fn admin(ctx: &AppContext) -> users::Model {
    account(ctx, "admin_pusat", "admin", "active").await
}

/// The value of `name="_csrf"` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    html[at..].split('"').next().map(str::to_string)
}

/// A browser stand-in: keeps its own cookies (so one test can hold several
/// sessions) and the last CSRF token it saw.
pub struct Client<'a> {
    server: &'a TestServer,
    cookies: BTreeMap<String, String>,
    pub csrf: Option<String>,
    /// `X-Forwarded-For` sent with every request (a client behind a proxy).
    pub forwarded_for: Option<String>,
}

impl<'a> Client<'a> {
    pub fn new(server: &'a TestServer) -> Self {
        Self { server, cookies: BTreeMap::new(), csrf: None, forwarded_for: None }
    }

    fn request(&self, request: axum_test::TestRequest) -> axum_test::TestRequest {
        let request = request.add_header("cookie", self.cookie_header());
        match &self.forwarded_for {
            Some(chain) => request.add_header("x-forwarded-for", chain.as_str()),
            None => request,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn session_token(&self) -> Option<&str> {
        self.cookies.get("sifilma_session").map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    fn absorb(&mut self, response: &TestResponse) {
        for value in response.iter_headers_by_name("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            let Some((pair, attrs)) = value.split_once(';').or(Some((value, ""))) else { continue };
            let Some((name, v)) = pair.split_once('=') else { continue };
            if attrs.contains("Max-Age=0") || v.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_string(), v.to_string());
            }
        }
        if response.maybe_content_type().is_some_and(|c| c.starts_with("text/html")) {
            if let Some(token) = csrf_in(&response.text()) {
                self.csrf = Some(token);
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        let response = self.request(self.server.get(path)).await;
        self.absorb(&response);
        response
    }

    /// The text of page `path`, asserting it answered 200: an assertion that
    /// something is absent from a page means nothing on an error page.
    pub async fn page(&mut self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status_code(), 200, "GET {path}: {}", response.text());
        response.text()
    }

    /// Posts a urlencoded form carrying the current CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let response = self.request(self.server.post(path)).form(&fields).await;
        self.absorb(&response);
        response
    }

    /// Posts a multipart form; the CSRF token is added as the first part.
    pub async fn post_multipart(&mut self, path: &str, form: MultipartForm) -> TestResponse {
        let response = self.request(self.server.post(path)).multipart(form).await;
        self.absorb(&response);
        response
    }

    pub fn multipart(&self) -> MultipartForm {
        MultipartForm::new().add_text("_csrf", self.csrf.clone().unwrap_or_default())
    }

    /// Logs in through the real form; returns the POST's response.
    pub async fn login(&mut self, username: &str, password: &str) -> TestResponse {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password), ("next", "")]).await
    }

    /// Logs in and loads the dashboard, so `csrf` holds the session's token.
    pub async fn signed_in(server: &'a TestServer, username: &str) -> Self {
        let mut client = Self::new(server);
        let response = client.login(username, PASSWORD).await;
        assert_eq!(response.status_code(), 303, "login of {username} failed: {}", response.text());
        let dashboard = client.get("/dashboard").await;
        assert_eq!(dashboard.status_code(), 200);
        client
    }
}

/// Location header of a redirect.
pub fn location(response: &TestResponse) -> String {
    response.maybe_header("location").map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default()
}

/// Mails the SMTP sink of the test command received for `to`, newest last
/// (the sink stores a mail before it accepts it). `None` after a loud note
/// when the suite runs without the sink (plain `cargo test`); under
/// `CI=true` a missing sink fails the test (see [`require_service`]).
pub fn mails_to(to: &str) -> Option<Vec<String>> {
    let dir = require_service("SMTP sink", "SIFILMA_TEST_MAIL_DIR")?;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("SMTP sink directory {dir}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    entries.sort();
    Some(entries.into_iter().filter_map(|p| std::fs::read_to_string(p).ok()).filter(|m| m.contains(to)).map(|m| decode_quoted_printable(&m)).collect())
}

/// Undoes quoted-printable (soft line breaks and `=XX`), so assertions can
/// look for sentences of the body.
pub fn decode_quoted_printable(s: &str) -> String {
    // Soft line breaks of the body, and folded header lines.
    let joined = s.replace("=\r\n", "").replace("=\n", "").replace("\r\n ", " ").replace("\n ", " ");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..(i + 3).min(bytes.len())]).unwrap_or(""), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A booted app context on a database of its own, for model tests.
pub async fn with_db<F, Fut>(f: F)
where
    F: FnOnce(AppContext) -> Fut,
    Fut: Future<Output = ()>,
{
    let boot = boot().await;
    f(boot.app_context.clone()).await;
}

/// The count shown on the dashboard tile labelled `label`.
///
/// # Panics
/// When the page has no such tile.
pub fn tile(html: &str, label: &str) -> String {
    let at = html.find(label).unwrap_or_else(|| panic!("tile {label} missing"));
    let before = &html[..at];
    let start = before.rfind("tile-count\">").expect("a tile count before the label") + "tile-count\">".len();
    before[start..].split('<').next().unwrap_or_default().to_string()
}

/// Page text with Tera's HTML escapes undone, for sentence assertions.
pub fn unescape(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}
