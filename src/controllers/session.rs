//! Every request passes here first: the session cookie is resolved to a user
//! (one query), and a state-changing request must come from our own pages —
//! same origin, and carrying the CSRF token of its session (or, before login,
//! of the double-submit cookie). Handlers then take `Visitor`, `Auth` or
//! `Admin` as extractors.
use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router as AxumRouter,
};
use loco_rs::app::AppContext;

use super::Failure;
use crate::{
    models::{
        portal_settings::WhatsappNumber,
        roles::Role,
        sessions::{self, Current},
    },
    settings::Settings,
};

pub const SESSION_COOKIE: &str = "sifilma_session";
pub const CSRF_COOKIE: &str = "sifilma_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest body the guard will read to find the token (uploads included).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The largest body a request to `path` may send: the public verify page
/// takes only a document the portal issued, far smaller than other uploads.
fn body_limit(path: &str) -> usize {
    if path == super::verification::PATH {
        super::verification::UPLOAD_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// Reads the whole body, at most `limit` bytes, with the server's timeouts:
/// a pause between two parts longer than the idle timeout, or a body not
/// whole by the read timeout, ends the request with 408 (slow senders do
/// not hold a connection).
async fn read_body(body: Body, limit: usize, limits: &crate::server::ServerLimits) -> Result<Bytes, Failure> {
    use http_body_util::BodyExt;
    let deadline = tokio::time::Instant::now() + limits.body_read_timeout();
    let mut body = body;
    let mut buf = Vec::new();
    loop {
        let until = deadline.min(tokio::time::Instant::now() + limits.body_idle_timeout());
        match tokio::time::timeout_at(until, body.frame()).await {
            Err(_) => return Err(Failure::body_timeout()),
            Ok(None) => return Ok(Bytes::from(buf)),
            Ok(Some(Err(_))) => return Err(Failure::too_large(limit)),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(Failure::too_large(limit));
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

/// What the guard learned about the request.
#[derive(Clone)]
pub struct Visitor {
    pub ip: String,
    pub user_agent: String,
    /// The token forms must echo in `_csrf`.
    pub csrf: String,
    pub current: Option<Arc<Current>>,
    pub secure_cookies: bool,
    /// The admin's WhatsApp number for the chat button of every page.
    pub whatsapp: Option<WhatsappNumber>,
}

impl Visitor {
    /// `Set-Cookie` value that logs the browser in with `token`.
    #[must_use]
    pub fn session_cookie(&self, token: &str) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }

    #[must_use]
    pub fn clear_session_cookie(&self) -> String {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| Failure::internal("session guard missing"))
    }
}

/// A signed-in user; anyone else is sent to the login page.
#[derive(Clone)]
pub struct Auth {
    pub visitor: Visitor,
    pub current: Arc<Current>,
}

impl Auth {
    #[must_use]
    pub fn user(&self) -> &crate::models::users::Model {
        &self.current.user
    }

    #[must_use]
    pub fn ip(&self) -> &str {
        &self.visitor.ip
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.current.clone() {
            Some(current) => Ok(Self { visitor, current }),
            None => Err(Failure::login_required(parts)),
        }
    }
}

/// A signed-in admin; other roles get 403.
pub struct Admin(pub Auth);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        if auth.user().role() == Role::Admin {
            Ok(Self(auth))
        } else {
            Err(Failure::forbidden())
        }
    }
}

pub fn layer(router: AxumRouter, ctx: &AppContext) -> AxumRouter {
    // Shared: the middleware clones its state for every request.
    router.layer(middleware::from_fn_with_state(Arc::new(ctx.clone()), guard))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn client_ip(req: &Request, trusted_proxies: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip()) else { return "unknown".to_string() };
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    crate::server::client_address(peer, forwarded, trusted_proxies).to_string()
}

/// Browsers tell where a request comes from; anything but our own origin is
/// refused. Requests without these headers (scripts, tests) still need the token.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority.trim_end_matches('/') == host)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `_csrf` field of a urlencoded or multipart body.
fn token_in_body(content_type: &str, body: &Bytes) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        return pairs.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v);
    }
    if content_type.starts_with("multipart/form-data") {
        return multipart_field(content_type, body, CSRF_FIELD);
    }
    None
}

/// The value of the plain (non-file) part `name` of a multipart body. Read
/// directly from the buffered bytes: the upload limits of the handlers do not
/// apply here, and only the parts before the token are looked at.
fn multipart_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let boundary = content_type.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut rest = body;
    loop {
        let start = find(rest, delimiter.as_bytes())? + delimiter.len();
        rest = &rest[start..];
        let headers_end = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..headers_end]).ok()?;
        let content = &rest[headers_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes())?;
        if headers.lines().any(|l| l.to_ascii_lowercase().starts_with("content-disposition") && l.contains(&wanted) && !l.contains("filename=")) {
            return String::from_utf8(content[..end].to_vec()).ok();
        }
        rest = &content[end..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn guard(State(ctx): State<Arc<AppContext>>, req: Request, next: Next) -> Response {
    // Static files and the probes (`/_health`, `/_readiness`) need no session.
    if req.uri().path().starts_with("/static/") || req.uri().path().starts_with("/_") {
        return next.run(req).await;
    }
    let settings = Settings::get(&ctx);
    let ip = client_ip(&req, &settings.server.trusted_proxies);
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let current = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => match sessions::resolve(&ctx.db, token).await {
            Ok(current) => current,
            Err(err) => return Failure::from(err).into_response(),
        },
        None => None,
    };
    let anonymous_cookie = cookie(req.headers(), CSRF_COOKIE).filter(|v| v.len() == 64).map(str::to_string);
    let (csrf, fresh_cookie) = match (&current, anonymous_cookie) {
        (Some(c), _) => (c.session.csrf_token.clone(), false),
        (None, Some(token)) => (token, false),
        (None, None) => (sessions::random_token(), true),
    };

    let req = if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        req
    } else {
        if !same_origin(req.headers()) {
            tracing::warn!(ip, path = %req.uri().path(), "cross-origin state change refused");
            return Failure::csrf().into_response();
        }
        let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let limit = body_limit(req.uri().path());
        let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Failure::too_large(limit).into_response();
        }
        let (parts, body) = req.into_parts();
        let bytes = match read_body(body, limit, &settings.server).await {
            Ok(bytes) => bytes,
            Err(failure) => return failure.into_response(),
        };
        let provided = match header_token {
            Some(t) => Some(t),
            None => token_in_body(&content_type, &bytes),
        };
        if fresh_cookie || !provided.is_some_and(|p| constant_time_eq(&p, &csrf)) {
            tracing::warn!(ip, path = %parts.uri.path(), "state change without a valid CSRF token refused");
            return Failure::csrf().into_response();
        }
        Request::from_parts(parts, Body::from(bytes))
    };

    let whatsapp = super::whatsapp::number(&ctx).await;
    let mut req = req;
    req.extensions_mut().insert(Visitor { ip, user_agent, csrf: csrf.clone(), current, secure_cookies: settings.secure_cookies, whatsapp });
    let mut response = next.run(req).await;
    if fresh_cookie {
        let secure = if settings.secure_cookies { "; Secure" } else { "" };
        if let Ok(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Lax{secure}")) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}
