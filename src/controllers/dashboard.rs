//! Dashboard: a welcome and the role's menu.
use axum::{extract::Query, http::StatusCode};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{home::Flash, session::Auth, PageResult};
use crate::{locale, models::roles::navigation, views::{filters::wib, layout::{app_page, flash}}};

async fn show(v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<Flash>) -> PageResult {
    let today = chrono::Utc::now().with_timezone(&wib()).date_naive();
    let menu: Vec<_> = navigation(auth.user().role()).into_iter().filter(|i| i.key != "dashboard").collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "dashboard/index.html",
        "dashboard",
        json!({ "today": locale::long_date(today), "menu": menu, "flash": flash(q.ok()) }),
    )
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", axum::routing::get(show))
}
