//! Dashboard: a welcome, the role's counters, what waits for the user,
//! this month's cards by status, and the role's menu.
use axum::{
    extract::{Query, State},
    http::StatusCode,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{app_page, session::Auth, Flash, PageResult};
use crate::{
    locale,
    models::{dashboard, roles::navigation},
    views::layout::flash,
};

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<Flash>) -> PageResult {
    let user = auth.user().clone();
    let db = ctx.db.clone();
    let key = dashboard::cache_key(&user, dashboard::last_action_of(&ctx.db, &user).await?);
    let cached = ctx
        .cache
        .get_or_insert_with_expiry(&key, std::time::Duration::from_secs(dashboard::CACHE_SECONDS), async move {
            dashboard::Board::load(&db, &user).await.map_err(|e| loco_rs::Error::string(&e.to_string()))
        })
        .await;
    // A cache failure costs a query, never the page.
    let board: dashboard::Board = match cached {
        Ok(board) => board,
        Err(err) => {
            tracing::warn!(err = err.to_string(), "dashboard cache unavailable");
            dashboard::Board::load(&ctx.db, auth.user()).await?
        }
    };
    let (db, user) = (ctx.db.clone(), auth.user().clone());
    let cached = ctx
        .cache
        .get_or_insert_with_expiry(&dashboard::chart_key(&user), std::time::Duration::from_secs(dashboard::CHART_SECONDS), async move {
            dashboard::MonthChart::load(&db, &user).await.map_err(|e| loco_rs::Error::string(&e.to_string()))
        })
        .await;
    let month: dashboard::MonthChart = match cached {
        Ok(month) => month,
        Err(err) => {
            tracing::warn!(err = err.to_string(), "dashboard cache unavailable");
            dashboard::MonthChart::load(&ctx.db, auth.user()).await?
        }
    };
    let today = chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive();
    let menu: Vec<_> = navigation(auth.user().role()).into_iter().filter(|i| i.key != "dashboard").collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "dashboard/index.html",
        "dashboard",
        json!({ "today": locale::long_date(today), "menu": menu, "tiles": board.tiles, "todo": board.todo, "chart": month.chart, "listed": month.listed, "flash": flash(q.ok()) }),
    )
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", axum::routing::get(show))
}
