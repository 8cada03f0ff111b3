//! What the probes and the metrics endpoint read: whether this process can
//! serve (database, job queue, stations' Redis) and the backlog figures
//! every process agrees on because they come from the database.
use sea_orm::{DatabaseConnection, DbBackend, FromQueryResult, Statement};
use serde::Serialize;

use super::errors::AppResult;

/// One readiness check: its name, whether it passed, and why not.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    #[must_use]
    pub fn of(name: &'static str, outcome: Result<(), String>) -> Self {
        match outcome {
            Ok(()) => Self { name, ok: true, detail: String::new() },
            Err(detail) => Self { name, ok: false, detail },
        }
    }
}

/// The database answers and holds exactly the migrations this binary knows
/// (an older binary on a newer database must not serve).
///
/// # Errors
/// A sentence naming the cause.
pub async fn database(db: &DatabaseConnection) -> Result<(), String> {
    db.ping().await.map_err(|e| format!("database unreachable: {e}"))?;
    super::schema::check(db).await
}

/// Backlog figures at one moment.
#[derive(Debug, Default)]
pub struct Backlog {
    pub outbox_pending: i64,
    pub outbox_failed: i64,
    pub outbox_oldest_pending_secs: f64,
    pub runs_in_progress: i64,
    pub stations: Vec<StationFigures>,
}

/// One station: cards finished in the last minute and since when it has
/// been silent.
#[derive(Debug, FromQueryResult)]
pub struct StationFigures {
    pub code: String,
    pub clear_last_minute: i64,
    pub failed_last_minute: i64,
    /// Seconds since the newest heartbeat of any of its runs; `None` when
    /// it never ran.
    pub heartbeat_age_secs: Option<f64>,
}

#[derive(FromQueryResult)]
struct Counts {
    pending: i64,
    failed: i64,
    oldest_secs: Option<f64>,
    running: i64,
}

fn age_since(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Sqlite => format!("(julianday('now') - julianday({column})) * 86400.0"),
        _ => format!("EXTRACT(EPOCH FROM (now() - {column}))::float8"),
    }
}

/// `column` lies within the last `secs` seconds. SQLite keeps timestamps as
/// RFC 3339 text (`T` between date and time), which does not compare as
/// text with `datetime('now')`: compare as Julian days instead.
fn within(backend: DbBackend, column: &str, secs: u32) -> String {
    match backend {
        DbBackend::Sqlite => format!("julianday({column}) >= julianday('now', '-{secs} seconds')"),
        _ => format!("{column} >= now() - interval '{secs} seconds'"),
    }
}

impl Backlog {
    /// Reads the figures in a few indexed queries (the cards of the last
    /// minute are reached through the runs that were active in it).
    ///
    /// # Errors
    /// On database failure.
    pub async fn measure(db: &DatabaseConnection) -> AppResult<Self> {
        let backend = db.get_database_backend();
        let cast = if backend == DbBackend::Sqlite { "" } else { "::bigint" };
        let (finished, result) = (within(backend, "r.finished_at", 60), within(backend, "c.result_at", 60));
        let counts = Counts::find_by_statement(Statement::from_string(
            backend,
            format!(
                "SELECT (SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending'){cast} AS pending, \
                 (SELECT COUNT(*) FROM mail_outbox WHERE status = 'failed'){cast} AS failed, \
                 (SELECT {} FROM mail_outbox WHERE status = 'pending') AS oldest_secs, \
                 (SELECT COUNT(*) FROM perso_runs WHERE status = 'running'){cast} AS running",
                age_since(backend, "MIN(created_at)")
            ),
        ))
        .one(db)
        .await?
        .unwrap_or(Counts { pending: 0, failed: 0, oldest_secs: None, running: 0 });
        let stations = StationFigures::find_by_statement(Statement::from_string(
            backend,
            format!(
                "SELECT s.code AS code, \
                 (SELECT COUNT(*) FROM cards c JOIN perso_runs r ON r.id = c.run_id \
                   WHERE r.station_id = s.id AND (r.status = 'running' OR {finished}) \
                   AND c.status = 'clear' AND {result}){cast} AS clear_last_minute, \
                 (SELECT COUNT(*) FROM cards c JOIN perso_runs r ON r.id = c.run_id \
                   WHERE r.station_id = s.id AND (r.status = 'running' OR {finished}) \
                   AND c.status = 'failed' AND {result}){cast} AS failed_last_minute, \
                 (SELECT {} FROM perso_runs r WHERE r.station_id = s.id) AS heartbeat_age_secs \
                 FROM stations s WHERE s.active ORDER BY s.code",
                age_since(backend, "MAX(r.heartbeat_at)")
            ),
        ))
        .all(db)
        .await?;
        Ok(Self {
            outbox_pending: counts.pending,
            outbox_failed: counts.failed,
            outbox_oldest_pending_secs: counts.oldest_secs.unwrap_or(0.0).max(0.0),
            runs_in_progress: counts.running,
            stations,
        })
    }
}
