//! Landing page with the two applications of SI-FILMA.
use axum::{extract::Query, http::StatusCode};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{public_page, session::Visitor, Flash, PageResult};
use crate::views::layout::flash;

async fn landing(v: ViewEngine<TeraView>, visitor: Visitor, Query(q): Query<Flash>) -> PageResult {
    public_page(&v, &visitor, StatusCode::OK, "home/landing.html", json!({ "flash": flash(q.ok()) }))
}

pub fn routes() -> Routes {
    Routes::new().add("/", axum::routing::get(landing))
}
