//! Prometheus metrics, served on a bind address of their own
//! (`settings.metrics_bind`, off when empty) so the public port never shows
//! them. Request counts and latency per route come from a middleware on
//! every route; the backlog figures (queue, mail outbox, runs, stations) are
//! read from the database at each scrape, so every process reports the
//! same truth.
//!
//! Rule: route labels are the router's patterns (`/permintaan/{id}`), never
//! raw paths, and a request no route matched is `unmatched`: a scanner
//! cannot grow the label set.
use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use loco_rs::app::AppContext;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::OnceCell;

use crate::{
    models::{health::Backlog, job_queue::Probe},
    settings::Settings,
    workers::stations::{Link, Stations},
};

/// Upper bounds (seconds) of the latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static SERVING: OnceLock<()> = OnceLock::new();

/// The process's recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &LATENCY_BUCKETS)
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already");
        }
        handle
    })
}

/// Counts and times every request (a no-op until the recorder exists).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone()).record(started.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    response
}

struct Scrape {
    ctx: AppContext,
    queue: OnceCell<Option<Probe>>,
}

/// Sets the backlog gauges from the database, then renders everything.
async fn scrape(State(state): State<Arc<Scrape>>) -> Response {
    let queue = state
        .queue
        .get_or_init(|| async {
            if let Some(config) = &state.ctx.config.queue {
                Probe::open(config).await
            } else {
                None
            }
        })
        .await;
    if let Some(queue) = queue {
        match queue.depth().await {
            Ok(depth) => {
                metrics::gauge!("sifilma_queue_jobs_waiting").set(depth.queued as f64);
                metrics::gauge!("sifilma_queue_oldest_job_age_seconds").set(depth.oldest_secs.unwrap_or(0.0).max(0.0));
            }
            Err(err) => tracing::warn!(%err, "metrics: queue depth"),
        }
    }
    match Backlog::measure(&state.ctx.db).await {
        Ok(b) => {
            metrics::gauge!("sifilma_mail_outbox", "status" => "pending").set(b.outbox_pending as f64);
            metrics::gauge!("sifilma_mail_outbox", "status" => "failed").set(b.outbox_failed as f64);
            metrics::gauge!("sifilma_mail_outbox_oldest_pending_age_seconds").set(b.outbox_oldest_pending_secs);
            metrics::gauge!("sifilma_runs_in_progress").set(b.runs_in_progress as f64);
            for s in b.stations {
                metrics::gauge!("sifilma_station_cards_last_minute", "station" => s.code.clone(), "outcome" => "clear").set(s.clear_last_minute as f64);
                metrics::gauge!("sifilma_station_cards_last_minute", "station" => s.code.clone(), "outcome" => "failed").set(s.failed_last_minute as f64);
                if let Some(age) = s.heartbeat_age_secs {
                    metrics::gauge!("sifilma_station_heartbeat_age_seconds", "station" => s.code).set(age.max(0.0));
                }
            }
        }
        Err(err) => tracing::warn!(%err, "metrics: backlog"),
    }
    if let Link::Redis(pool) = &Stations::get(&state.ctx).link {
        let up = crate::station::link::ping(pool).await.is_ok();
        metrics::gauge!("sifilma_stations_redis_up").set(if up { 1.0 } else { 0.0 });
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

/// Starts the metrics listener of this process once (the web and worker
/// parts of one process share it), when `settings.metrics_bind` is set.
///
/// # Errors
/// When the address cannot be bound: the operator asked for metrics there.
pub async fn serve(ctx: &AppContext) -> loco_rs::Result<()> {
    let bind = Settings::get(ctx).metrics_bind.clone();
    let bind = bind.trim();
    if bind.is_empty() || SERVING.set(()).is_err() {
        return Ok(());
    }
    let _ = handle();
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| loco_rs::Error::string(&format!("metrics_bind {bind}: {e}")))?;
    tracing::info!(bind, "metrics on http://{bind}/metrics");
    let app = Router::new().route("/metrics", get(scrape)).with_state(Arc::new(Scrape { ctx: ctx.clone(), queue: OnceCell::new() }));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "metrics listener stopped");
        }
    });
    Ok(())
}
