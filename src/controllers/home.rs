//! Landing page with the two applications of SI-FILMA.
use axum::{extract::Query, http::StatusCode};
use loco_rs::{controller::views::{engines::TeraView, ViewEngine}, prelude::Routes};
use serde::Deserialize;
use serde_json::json;

use super::{session::Visitor, PageResult};
use crate::views::layout::{flash, public_page};

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

async fn landing(v: ViewEngine<TeraView>, visitor: Visitor, Query(q): Query<Flash>) -> PageResult {
    public_page(&v, &visitor, StatusCode::OK, "home/landing.html", json!({ "flash": flash(q.ok()) }))
}

pub fn routes() -> Routes {
    Routes::new().add("/", axum::routing::get(landing))
}
