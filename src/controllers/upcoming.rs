//! Menu entries of later stages of the chain that are not built yet
//! (now only Reports). They
//! say so plainly, and only to the roles that will use them.
use axum::{extract::OriginalUri, http::StatusCode};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{app_page, session::Auth, Failure, PageResult};
use crate::models::roles::navigation;

async fn show(v: ViewEngine<TeraView>, auth: Auth, OriginalUri(uri): OriginalUri) -> PageResult {
    let item = navigation(auth.user().role()).into_iter().find(|i| i.href == uri.path()).ok_or_else(Failure::forbidden)?;
    app_page(&v, &auth, StatusCode::OK, "upcoming/show.html", item.key, json!({ "item": item }))
}

pub fn routes() -> Routes {
    Routes::new().add("/reports", axum::routing::get(show))
}
