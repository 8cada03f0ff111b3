//! Probes for the load balancer and the operators: `/_health` says the
//! process runs (no database), `/_readiness` whether it can serve —
//! database and schema, job queue, and the stations' Redis when one is
//! configured. 503 with the failing checks otherwise.
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use loco_rs::{app::AppContext, prelude::Routes};
use serde_json::json;

use crate::{
    models::health::{self, Check},
    workers::stations::{Link, Stations},
};

async fn alive() -> impl IntoResponse {
    Json(json!({ "ok": true }))
}

async fn ready(State(ctx): State<AppContext>) -> impl IntoResponse {
    let mut checks = vec![Check::of("database", health::database(&ctx.db).await)];
    if let Some(queue) = &ctx.queue_provider {
        checks.push(Check::of("queue", queue.ping().await.map_err(|e| format!("job queue unreachable: {e}"))));
    }
    if let Link::Redis(pool) = &Stations::get(&ctx).link {
        checks.push(Check::of("stations_redis", crate::station::link::ping(pool).await.map_err(|e| format!("stations' Redis unreachable: {e}"))));
    }
    let ok = checks.iter().all(|c| c.ok);
    for failed in checks.iter().filter(|c| !c.ok) {
        tracing::warn!(check = failed.name, detail = failed.detail, "not ready");
    }
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ok": ok, "checks": checks })))
}

pub fn routes() -> Routes {
    Routes::new().add("/_health", axum::routing::get(alive)).add("/_readiness", axum::routing::get(ready))
}
