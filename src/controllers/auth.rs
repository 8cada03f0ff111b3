//! Login and logout.
use axum::{
    extract::Query,
    http::{header, StatusCode},
    response::IntoResponse,
    Form,
};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::json;

use super::Db;
use super::{
    next_path::{self, NextPath},
    public_page, see_other,
    session::Visitor,
    PageResult,
};
use crate::{
    models::{
        sessions,
        users::{LoginOutcome, LoginRefusal, Model as User},
    },
    views::layout::flash,
};

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default, deserialize_with = "next_path::lenient")]
    next: Option<NextPath>,
    ok: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// Only a page of the portal; anything else is dropped here.
    #[serde(default, deserialize_with = "next_path::lenient")]
    next: Option<NextPath>,
}

async fn show(v: ViewEngine<TeraView>, visitor: Visitor, Query(q): Query<LoginQuery>) -> PageResult {
    if visitor.current.is_some() {
        return Ok(see_other("/dashboard"));
    }
    public_page(
        &v,
        &visitor,
        StatusCode::OK,
        "auth/login.html",
        json!({ "username": "", "next": NextPath::or_empty(q.next.as_ref()), "flash": flash(q.ok.as_deref()), "error": null }),
    )
}

async fn login(Db(db): Db, v: ViewEngine<TeraView>, visitor: Visitor, Form(form): Form<LoginForm>) -> PageResult {
    let outcome = User::login(&db, &form.username, &form.password, &visitor.ip, &visitor.user_agent).await?;
    match outcome {
        LoginOutcome::SignedIn { token, user } => {
            tracing::info!(user_id = user.id, ip = visitor.ip, "login succeeded");
            let mut response = see_other(NextPath::or_default(form.next.as_ref()));
            response.headers_mut().append(header::SET_COOKIE, visitor.session_cookie(&token).parse().expect("cookie header"));
            Ok(response)
        }
        LoginOutcome::Refused(refusal) => {
            tracing::info!(ip = visitor.ip, ?refusal, "login refused");
            let status = match refusal {
                LoginRefusal::Throttled => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut response = public_page(
                &v,
                &visitor,
                status,
                "auth/login.html",
                json!({ "username": form.username.trim(), "next": NextPath::or_empty(form.next.as_ref()), "error": refusal.message() }),
            )?;
            if refusal == LoginRefusal::Throttled {
                response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("180"));
            }
            Ok(response)
        }
    }
}

/// Deletes the session row; the cookie is cleared too.
async fn logout(Db(db): Db, visitor: Visitor) -> PageResult {
    if let Some(current) = &visitor.current {
        sessions::sign_out(&db, current, &visitor.ip).await?;
    }
    let mut response = see_other("/login?ok=logout").into_response();
    response.headers_mut().append(header::SET_COOKIE, visitor.clear_session_cookie().parse().expect("cookie header"));
    Ok(response)
}

pub fn routes() -> Routes {
    Routes::new().add("/login", axum::routing::get(show).post(login)).add("/logout", axum::routing::post(logout))
}
