//! The dashboard's counters: what waits for the signed-in role, each with
//! the page where it is handled, scoped like the lists. All of a role's
//! counters come from one query, so the dashboard stays one round trip.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde::Serialize;

use super::{_entities::users, errors::AppResult, roles::Role};

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Tile {
    pub label: String,
    pub count: i64,
    pub href: String,
}

/// Counters may be this old when nothing was written meanwhile: the
/// dashboard is viewed far more often than the numbers change.
pub const CACHE_SECONDS: u64 = 5;

/// The cache key: every user of one organisation and role sees the same
/// counters, for as long as this process wrote nothing ([`super::writes`]):
/// a user never sees counters older than their own last action.
#[must_use]
pub fn cache_key(user: &users::Model) -> String {
    format!("dashboard:{}:{}:{}", user.role, user.organisation_id.unwrap_or(-1), super::writes())
}

/// (label, link, `SELECT COUNT(*)` with `?` for the organisation id)
type Counter = (&'static str, &'static str, &'static str);

const QUEUE: &str = "SELECT COUNT(*) FROM submissions WHERE status IN ('accepted', 'in_progress')";

fn counters(role: Role) -> &'static [Counter] {
    match role {
        Role::Admin => &[
            ("Pengajuan baru menunggu keputusan", "/pengajuan?status=new", "SELECT COUNT(*) FROM submissions WHERE status = 'new'"),
            ("Pengajuan dalam antrean personalisasi", "/personalisasi?status=progress", QUEUE),
            ("Akun menunggu aktivasi", "/admin/pengguna?status=pending", "SELECT COUNT(*) FROM users WHERE status = 'pending'"),
            ("Personalisasi selesai, menunggu penerimaan", "/bast?status=done", "SELECT COUNT(*) FROM submissions WHERE status = 'done'"),
        ],
        Role::Operator => &[
            ("Pengajuan dalam antrean personalisasi", "/personalisasi?status=progress", QUEUE),
            ("Proses personalisasi sedang berjalan", "/personalisasi?status=progress", "SELECT COUNT(*) FROM perso_runs WHERE status = 'running'"),
        ],
        Role::Produsen => &[
            ("Permintaan menunggu persetujuan Anda", "/permintaan?status=progress", "SELECT COUNT(*) FROM personalization_requests WHERE producer_id = ? AND status = 'submitted'"),
            (
                "Permintaan disetujui, belum diajukan",
                "/pengajuan/baru",
                "SELECT COUNT(*) FROM personalization_requests WHERE producer_id = ? AND status = 'approved' AND submission_id IS NULL",
            ),
            ("Pengajuan Anda menunggu keputusan Dukcapil", "/pengajuan?status=new", "SELECT COUNT(*) FROM submissions WHERE producer_id = ? AND status = 'new'"),
            ("Kartu selesai dipersonalisasi, catat penerimaan", "/bast?status=done", "SELECT COUNT(*) FROM submissions WHERE producer_id = ? AND status = 'done'"),
        ],
        // The institution's requests by their own status: the same states
        // the request list filters on, so a tile and its list agree.
        Role::Lembaga | Role::DukcapilKota => &[
            ("Permintaan menunggu persetujuan produsen", "/permintaan?status=progress", "SELECT COUNT(*) FROM personalization_requests WHERE organisation_id = ? AND status = 'submitted'"),
            ("Permintaan disetujui produsen", "/permintaan?status=approved", "SELECT COUNT(*) FROM personalization_requests WHERE organisation_id = ? AND status IN ('approved', 'bundled', 'in_progress', 'done', 'received')"),
            ("Permintaan dalam proses personalisasi", "/permintaan?status=in_progress", "SELECT COUNT(*) FROM personalization_requests WHERE organisation_id = ? AND status = 'in_progress'"),
            ("Kartu selesai dipersonalisasi, menunggu serah terima", "/permintaan?status=done", "SELECT COUNT(*) FROM personalization_requests WHERE organisation_id = ? AND status = 'done'"),
            ("Kartu diterima (BAST)", "/permintaan?status=received", "SELECT COUNT(*) FROM personalization_requests WHERE organisation_id = ? AND status = 'received'"),
        ],
    }
}

/// # Errors
/// On database failure.
pub async fn tiles(db: &DatabaseConnection, user: &users::Model) -> AppResult<Vec<Tile>> {
    let list = counters(user.role());
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut sql = String::from("SELECT ");
    for (i, (_, _, count)) in list.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let mut part = String::new();
        for (j, piece) in count.split('?').enumerate() {
            if j > 0 {
                values.push(user.organisation_id.unwrap_or(-1).into());
                part.push_str(&if backend == DbBackend::Postgres { format!("${}", values.len()) } else { "?".to_string() });
            }
            part.push_str(piece);
        }
        sql.push_str(&format!("({part}) AS c{i}"));
    }
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut tiles = Vec::new();
    for (i, (label, href, _)) in list.iter().enumerate() {
        let count = row.as_ref().map_or(Ok(0), |r| r.try_get::<i64>("", &format!("c{i}")))?;
        tiles.push(Tile { label: (*label).to_string(), count, href: (*href).to_string() });
    }
    Ok(tiles)
}
