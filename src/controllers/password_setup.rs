//! Atur Password: the page a one-time link from the server's console opens
//! (first admin, an operator locked out). Unknown, used and expired links
//! all answer the same 404.
use axum::{extract::Path, http::StatusCode, Form};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::json;

use super::Db;
use super::{public_page, see_other, session::Visitor, PageResult};
use crate::models::{users::console::Link, AppError};

#[derive(Deserialize)]
pub struct SetPassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

async fn show(Db(db): Db, v: ViewEngine<TeraView>, visitor: Visitor, Path(token): Path<String>) -> PageResult {
    let link = Link::find(&db, &token).await?;
    public_page(&v, &visitor, StatusCode::OK, "auth/set_password.html", json!({ "token": token, "username": link.user.username }))
}

async fn set(Db(db): Db, v: ViewEngine<TeraView>, visitor: Visitor, Path(token): Path<String>, Form(form): Form<SetPassword>) -> PageResult {
    let link = Link::find(&db, &token).await?;
    let username = link.user.username.clone();
    match link.redeem(&db, &form.password, &form.confirmation, &visitor.ip).await {
        Ok(_) => Ok(see_other("/login?ok=password-diatur")),
        Err(AppError::Invalid(errors)) => public_page(
            &v,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth/set_password.html",
            json!({ "token": token, "username": username, "errors": errors }),
        ),
        Err(other) => Err(other.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new().add("/atur-password/{token}", axum::routing::get(show).post(set))
}
