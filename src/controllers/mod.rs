//! Thin controllers: parse the request, call one model method, render.
// `Failure` is a ready response (128 bytes): a handler returns at most one,
// once per request, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]
pub mod account;
pub mod activations;
pub mod admin_users;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod faq;
pub mod handovers;
pub mod health;
pub mod home;
pub mod manual;
pub mod master;
pub mod next_path;
pub mod password_setup;
pub mod personalization;
pub mod registration;
pub mod reports;
pub mod requests;
pub mod session;
pub mod submissions;
pub mod verification;
pub mod whatsapp;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use loco_rs::controller::AppRoutes;

use axum::response::Html;
use loco_rs::controller::views::{engines::TeraView, ViewEngine, ViewRenderer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::models::{roles::navigation, AppError};
use session::{Auth, Visitor};

/// The database alone, for handlers that need nothing else of the
/// application: `State<AppContext>` clones the whole context, Loco's config
/// included, for every request that takes it.
pub struct Db(pub sea_orm::DatabaseConnection);

impl FromRequestParts<loco_rs::app::AppContext> for Db {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, ctx: &loco_rs::app::AppContext) -> Result<Self, Self::Rejection> {
        Ok(Self(ctx.db.clone()))
    }
}

#[must_use]
pub fn routes() -> AppRoutes {
    AppRoutes::empty()
        .add_route(health::routes())
        .add_route(home::routes())
        .add_route(auth::routes())
        .add_route(registration::routes())
        .add_route(password_setup::routes())
        .add_route(dashboard::routes())
        .add_route(account::routes())
        .add_route(admin_users::routes())
        .add_route(audit::routes())
        .add_route(master::routes())
        .add_route(whatsapp::routes())
        .add_route(requests::routes())
        .add_route(submissions::routes())
        .add_route(personalization::routes())
        .add_route(handovers::routes())
        .add_route(verification::routes())
        .add_route(faq::routes())
        .add_route(manual::routes())
        .add_route(reports::routes())
        .add_route(activations::routes())
}

/// Seconds a busy answer (503) asks the client to wait before trying again.
pub const RETRY_AFTER_SECS: &str = "5";

/// A response that ends the request early: an error page or a redirect.
#[derive(Debug)]
pub struct Failure(Response);

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Failure {
    /// A small standalone page; it needs no template, so it also works when
    /// rendering itself is what failed.
    #[must_use]
    pub fn page(status: StatusCode, title: &str, message: &str) -> Self {
        let html = format!(
            "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t} · SI-FILMA</title><link rel=\"stylesheet\" href=\"/static/css/app.css\"></head>\
             <body class=\"public\"><main class=\"public-main\"><section class=\"card error-card\"><div class=\"card-body\">\
             <h1>{t}</h1><p>{m}</p><p><a class=\"btn btn-primary\" href=\"/\">Kembali ke Beranda</a></p></div></section></main></body></html>",
            t = escape(title),
            m = escape(message)
        );
        let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
        Self(response)
    }

    #[must_use]
    pub fn not_found() -> Self {
        Self::page(StatusCode::NOT_FOUND, "Data tidak ditemukan", "Halaman atau data yang Anda cari tidak ada, atau Anda tidak berhak melihatnya.")
    }

    #[must_use]
    pub fn forbidden() -> Self {
        Self::page(StatusCode::FORBIDDEN, "Akses ditolak", "Peran akun Anda tidak berhak membuka halaman ini.")
    }

    #[must_use]
    pub fn csrf() -> Self {
        Self::page(
            StatusCode::FORBIDDEN,
            "Permintaan ditolak",
            "Token keamanan formulir tidak ada atau sudah kedaluwarsa, sehingga tidak ada data yang diubah. Muat ulang halaman lalu kirim kembali formulirnya.",
        )
    }

    /// The body was bigger than `limit` bytes.
    #[must_use]
    pub fn too_large(limit: usize) -> Self {
        let mb = limit / (1024 * 1024);
        Self::page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Data terlalu besar",
            &format!("Ukuran data yang dikirim melebihi batas {mb} MB. Tidak ada data yang diubah."),
        )
    }

    /// The body did not arrive in time; the connection is closed.
    #[must_use]
    pub fn body_timeout() -> Self {
        let mut page = Self::page(
            StatusCode::REQUEST_TIMEOUT,
            "Waktu pengiriman habis",
            "Data formulir tidak terkirim lengkap dalam batas waktu. Tidak ada data yang diubah; periksa koneksi lalu kirim ulang.",
        );
        page.0.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        page
    }

    /// Too many requests of one kind from this address.
    #[must_use]
    pub fn throttled(message: &str, retry_after_secs: i64) -> Self {
        let mut page = Self::page(StatusCode::TOO_MANY_REQUESTS, "Terlalu banyak permintaan", message);
        page.0.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after_secs));
        page
    }

    #[must_use]
    pub fn conflict(message: &str) -> Self {
        Self::page(StatusCode::CONFLICT, "Tidak dapat diproses", message)
    }

    /// 503 with `Retry-After`: the server is saturated (imports, database
    /// connections); nothing was saved, trying again shortly will work.
    #[must_use]
    pub fn busy(message: &str) -> Self {
        let mut page = Self::page(StatusCode::SERVICE_UNAVAILABLE, "Server sedang sibuk", message);
        page.0.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static(RETRY_AFTER_SECS));
        page
    }

    #[must_use]
    pub fn internal(cause: &str) -> Self {
        tracing::error!(cause, "request failed");
        Self::page(StatusCode::INTERNAL_SERVER_ERROR, "Terjadi kesalahan", "Terjadi kesalahan pada server. Tidak ada data yang diubah; silakan coba lagi.")
    }

    /// Sends an anonymous visitor to the login page and back afterwards.
    #[must_use]
    pub fn login_required(parts: &Parts) -> Self {
        let next = parts.uri.path_and_query().map_or("/dashboard", |p| p.as_str());
        let target = format!("/login?next={}", serde_urlencoded::to_string([("", next)]).unwrap_or_default().trim_start_matches('='));
        Self(Redirect::to(&target).into_response())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Self::not_found(),
            AppError::Conflict(message) => Self::conflict(&message),
            AppError::Invalid(errors) => Self::page(StatusCode::UNPROCESSABLE_ENTITY, "Data tidak valid", &format!("{errors:?}")),
            AppError::Busy(message) => Self::busy(&message),
            AppError::Db(e) => Self::internal(&e.to_string()),
            AppError::Internal(e) => Self::internal(&e),
        }
    }
}

impl From<loco_rs::Error> for Failure {
    fn from(err: loco_rs::Error) -> Self {
        match err {
            loco_rs::Error::DB(e) => AppError::from(e).into(),
            other => Self::internal(&other.to_string()),
        }
    }
}

pub type PageResult = Result<Response, Failure>;

fn html(v: &TeraView, status: StatusCode, template: &str, context: &impl Serialize) -> Result<Response, Failure> {
    let body = v.render(template, context)?;
    Ok((status, Html(body)).into_response())
}

/// What every page of the signed-in portal shows besides its own data.
#[derive(Serialize)]
struct AppBase<'a> {
    me: Me<'a>,
    nav: Vec<crate::models::roles::NavItem>,
    active: &'a str,
    help_href: String,
    whatsapp: Value,
    csrf: &'a str,
    app_version: &'static str,
    flash: Value,
    errors: Value,
}

/// The signed-in user, as the page header shows them.
#[derive(Serialize)]
struct Me<'a> {
    username: &'a str,
    name: &'a str,
    role: &'static str,
    role_label: &'static str,
    organisation: &'a str,
    initials: String,
    has_photo: bool,
}

/// A page's context: the shared `base`, then the page's own `data`, whose
/// keys win (`flash`, `errors`). Serialised once, straight into the
/// template's context.
#[derive(Serialize)]
struct Context<'a, B: Serialize, D: Serialize> {
    #[serde(flatten)]
    base: B,
    #[serde(flatten)]
    data: &'a D,
}

/// Renders a page of the signed-in portal (`layouts/app.html`); `data` is a
/// map (a struct or a JSON object).
///
/// # Errors
/// When the template fails to render (logged, shown as a 500 page).
pub fn app_page(
    ViewEngine(v): &ViewEngine<TeraView>,
    auth: &Auth,
    status: StatusCode,
    template: &str,
    active: &str,
    data: impl Serialize,
) -> Result<Response, Failure> {
    let user = auth.user();
    let role = user.role();
    let organisation = auth.current.organisation.as_ref().map(|o| o.name.as_str());
    let base = AppBase {
        me: Me {
            username: &user.username,
            name: &user.name,
            role: role.as_str(),
            role_label: role.label(),
            organisation: organisation.unwrap_or_default(),
            initials: user.initials(),
            has_photo: user.photo_key.is_some(),
        },
        nav: navigation(role),
        active,
        help_href: manual::help_href(role, active),
        whatsapp: whatsapp::button(auth.visitor.whatsapp.as_ref(), Some(&user.name), organisation),
        csrf: &auth.visitor.csrf,
        app_version: env!("CARGO_PKG_VERSION"),
        flash: Value::Null,
        errors: json!({}),
    };
    html(v, status, template, &Context { base, data: &data })
}

/// Renders a public page (`layouts/public.html`): landing, login, register.
///
/// # Errors
/// When the template fails to render.
pub fn public_page(
    ViewEngine(v): &ViewEngine<TeraView>,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    data: impl Serialize,
) -> Result<Response, Failure> {
    let current = visitor.current.as_deref();
    let name = current.map(|c| c.user.name.as_str());
    let organisation = current.and_then(|c| c.organisation.as_ref()).map(|o| o.name.as_str());
    let base = json!({
        "csrf": visitor.csrf,
        "app_version": env!("CARGO_PKG_VERSION"),
        "signed_in": visitor.current.is_some(),
        "whatsapp": whatsapp::button(visitor.whatsapp.as_ref(), name, organisation),
        "flash": Value::Null,
        "errors": {},
    });
    html(v, status, template, &Context { base, data: &data })
}

/// `?ok=<code>`: which flash message to show after a redirect.
#[derive(Deserialize)]
pub struct Flash {
    ok: Option<String>,
}

impl Flash {
    #[must_use]
    pub fn ok(&self) -> Option<&str> {
        self.ok.as_deref()
    }
}

/// The viewer of `auth` for a subject's scope; a role that sees none of the
/// subject gets a 403 page.
///
/// # Errors
/// [`Failure::forbidden`] for such a role.
pub fn viewer<V: crate::models::Scope>(auth: &Auth) -> Result<V, Failure> {
    let v = V::of(auth.user());
    if v.sees_nothing() {
        return Err(Failure::forbidden());
    }
    Ok(v)
}

/// The raw query string without its `page` parameter: the base of page links.
#[must_use]
pub fn strip_page(raw: Option<&str>) -> String {
    raw.unwrap_or_default().split('&').filter(|p| !p.is_empty() && !p.starts_with("page=")).collect::<Vec<_>>().join("&")
}

/// The text fields of a multipart form and, when one was chosen, the file
/// of `file_field` (bytes and the user's name for it).
///
/// # Errors
/// A 400 page when the body is not a readable multipart form.
pub async fn read_multipart(
    multipart: axum::extract::Multipart,
    file_field: &str,
) -> Result<(std::collections::HashMap<String, String>, Option<(Vec<u8>, String)>), Failure> {
    let (fields, mut files) = read_multipart_files(multipart, &[file_field]).await?;
    Ok((fields.into_iter().collect(), files.remove(file_field)))
}

/// Every text field of a multipart form in order (names may repeat, as
/// checkboxes do) and the chosen files among `file_fields`.
///
/// # Errors
/// A 400 page when the body is not a readable multipart form.
pub async fn read_multipart_files(
    mut multipart: axum::extract::Multipart,
    file_fields: &[&str],
) -> Result<(Vec<(String, String)>, std::collections::HashMap<String, (Vec<u8>, String)>), Failure> {
    let unreadable = || Failure::page(StatusCode::BAD_REQUEST, "Formulir rusak", "Data formulir tidak dapat dibaca. Muat ulang halaman lalu coba lagi.");
    let mut fields = Vec::new();
    let mut files = std::collections::HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_string();
        if file_fields.contains(&name.as_str()) {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if !file_name.is_empty() {
                files.insert(name, (bytes.to_vec(), file_name));
            }
        } else {
            let value = field.text().await.map_err(|_| unreadable())?;
            fields.push((name, value));
        }
    }
    Ok((fields, files))
}

/// A stored upload sent back as an attachment named `name`, with the
/// content type recorded at upload (never guessed) and `nosniff`.
///
/// # Errors
/// 404 when the file is gone.
pub async fn attachment(upload_dir: &str, area: &str, key: &str, extension: &str, name: &str) -> PageResult {
    let kind = crate::models::uploads::Kind::from_extension(extension).ok_or_else(Failure::not_found)?;
    let path = crate::models::uploads::path_of(upload_dir, area, key).ok_or_else(Failure::not_found)?;
    let bytes = tokio::fs::read(path).await.map_err(|_| Failure::not_found())?;
    Ok(send_file(kind.content_type(), name, bytes))
}

/// `bytes` as a download named `name`: never shown inline, never sniffed,
/// never cached by a shared cache.
#[must_use]
pub fn send_file(content_type: &str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// 303 to `to`: after a POST the browser GETs the result page.
#[must_use]
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}
