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

/// The month's chart may be this old, whatever was written meanwhile: it
/// recounts every card of the month in the viewer's scope, and under a
/// steady stream of writes the counters' key changes with every write.
/// Cards change status on the stations, not by the viewer's own actions.
pub const CHART_SECONDS: u64 = 30;

/// The chart's cache key: one per organisation and role.
#[must_use]
pub fn chart_key(user: &users::Model) -> String {
    format!("dashboard-chart:{}:{}", user.role, user.organisation_id.unwrap_or(-1))
}

/// The cache key: users of one organisation and role share counters for as
/// long as this process wrote nothing ([`super::writes`]) and the viewer
/// made no new audited change anywhere (`last_action`, from
/// [`last_action_of`]): a user never sees counters older than their own
/// last action, whichever portal process took it.
#[must_use]
pub fn cache_key(user: &users::Model, last_action: i64) -> String {
    format!("dashboard:{}:{}:{}:{last_action}", user.role, user.organisation_id.unwrap_or(-1), super::writes())
}

/// The id of the newest audit row `user` caused (0 when none): every state
/// change writes one in its own transaction. One index probe.
///
/// # Errors
/// On database failure.
pub async fn last_action_of(db: &DatabaseConnection, user: &users::Model) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        "SELECT COALESCE(MAX(id), 0) AS n FROM audit_events WHERE actor_id = ?"
    } else {
        "SELECT COALESCE(MAX(id), 0)::bigint AS n FROM audit_events WHERE actor_id = $1"
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [Value::from(user.id)])).await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0))
}

/// What the dashboard shows besides the welcome: the counters and the
/// records waiting for the user.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Board {
    pub tiles: Vec<Tile>,
    pub todo: Vec<Todo>,
}

impl Board {
    /// # Errors
    /// On database failure.
    pub async fn load(db: &DatabaseConnection, user: &users::Model) -> AppResult<Self> {
        Ok(Self { tiles: tiles(db, user).await?, todo: todo(db, user).await? })
    }
}

/// This month's cards by status in the user's scope, as an SVG chart drawn
/// from the same recap as Reports, and how many cards were listed.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct MonthChart {
    pub chart: String,
    pub listed: i64,
}

impl MonthChart {
    /// # Errors
    /// On database failure.
    pub async fn load(db: &DatabaseConnection, user: &users::Model) -> AppResult<Self> {
        use super::{reports, Scope as _};
        let today = chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive();
        let recap = reports::Recap::compute(db, reports::Viewer::of(user), &reports::Filter::month_of(today), today).await?;
        Ok(Self { chart: crate::views::charts::recap::card_status(&recap), listed: recap.cards.listed })
    }
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
            ("Permohonan aktivasi menunggu disposisi", "/aktivasi?status=new", "SELECT COUNT(*) FROM activation_requests WHERE status = 'new'"),
        ],
        Role::Operator => &[
            ("Pengajuan dalam antrean personalisasi", "/personalisasi?status=progress", QUEUE),
            ("Proses personalisasi sedang berjalan", "/personalisasi?status=progress", "SELECT COUNT(*) FROM perso_runs WHERE status = 'running'"),
        ],
        // Requests are counted from their tallies (`requests::tally`); an
        // approved request is never in a submission (bundling moves it on,
        // freeing it clears the link).
        Role::Produsen => &[
            ("Permintaan menunggu persetujuan Anda", "/permintaan?status=progress", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE producer_id = ? AND status = 'submitted'"),
            (
                "Permintaan disetujui, belum diajukan",
                "/pengajuan/baru",
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE producer_id = ? AND status = 'approved'",
            ),
            ("Pengajuan Anda menunggu keputusan Dukcapil", "/pengajuan?status=new", "SELECT COUNT(*) FROM submissions WHERE producer_id = ? AND status = 'new'"),
            ("Kartu selesai dipersonalisasi, catat penerimaan", "/bast?status=done", "SELECT COUNT(*) FROM submissions WHERE producer_id = ? AND status = 'done'"),
            ("Permohonan aktivasi Anda menunggu disposisi", "/aktivasi?status=new", "SELECT COUNT(*) FROM activation_requests WHERE applicant_id = ? AND status = 'new'"),
        ],
        // The institution's requests by their own status: the same states
        // the request list filters on, so a tile and its list agree.
        Role::Lembaga | Role::DukcapilKota => &[
            ("Permintaan menunggu persetujuan produsen", "/permintaan?status=progress", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE organisation_id = ? AND status = 'submitted'"),
            ("Permintaan disetujui produsen", "/permintaan?status=approved", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE organisation_id = ? AND status IN ('approved', 'bundled', 'in_progress', 'done', 'received')"),
            ("Permintaan dalam proses personalisasi", "/permintaan?status=in_progress", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE organisation_id = ? AND status = 'in_progress'"),
            ("Kartu selesai dipersonalisasi, menunggu serah terima", "/permintaan?status=done", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE organisation_id = ? AND status = 'done'"),
            ("Kartu diterima (BAST)", "/permintaan?status=received", "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM request_tallies WHERE organisation_id = ? AND status = 'received'"),
            // Scoped as the activation list scopes an institution: by the
            // readers' institution, whoever filed.
            ("Permohonan aktivasi menunggu disposisi", "/aktivasi?status=new", "SELECT COUNT(*) FROM activation_requests WHERE institution_id = ? AND status = 'new'"),
            (
                "Card reader aktif",
                "/aktivasi?reader=active",
                "SELECT COUNT(*) FROM activation_readers x JOIN activation_requests ar ON ar.id = x.request_id WHERE ar.institution_id = ? AND x.status = 'active'",
            ),
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

/// One record waiting for the signed-in user ("Butuh tindakan Anda").
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Todo {
    pub label: String,
    pub href: String,
}

/// Records listed in "Butuh tindakan Anda", at most.
pub const TODO_ROWS: u64 = 8;

/// Days an institution's rejected request or issued BAST stays listed.
const RECENT_DAYS: i64 = 30;

/// The records that wait for this user's action, oldest first, each with
/// the page where it is handled, scoped like the lists:
/// - admin: new submissions to accept or reject, accepted ones to start;
/// - operator: accepted and running submissions to personalize;
/// - producer: requests to approve, Done submissions whose receipt to record;
/// - institution: rejected requests (the reason), cards handed over (BAST).
///
/// # Errors
/// On database failure.
pub async fn todo(db: &DatabaseConnection, user: &users::Model) -> AppResult<Vec<Todo>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

    use super::{_entities::personalization_requests as requests, _entities::submissions, requests::Status as R, submissions::Status as S};
    let org = user.organisation_id.unwrap_or(-1);
    let subs = |statuses: Vec<S>| {
        submissions::Entity::find().filter(submissions::Column::Status.is_in(statuses)).order_by_asc(submissions::Column::UpdatedAt).limit(TODO_ROWS)
    };
    let reqs =
        |statuses: Vec<R>| requests::Entity::find().filter(requests::Column::Status.is_in(statuses)).order_by_asc(requests::Column::UpdatedAt).limit(TODO_ROWS);
    let recent = chrono::Utc::now() - chrono::Duration::days(RECENT_DAYS);
    let mut out = Vec::new();
    match user.role() {
        Role::Admin => {
            for s in subs(vec![S::New]).all(db).await? {
                out.push(Todo { label: format!("Terima atau tolak pengajuan {}", s.number), href: format!("/pengajuan/{}", s.id) });
            }
            for s in subs(vec![S::Accepted]).all(db).await? {
                out.push(Todo { label: format!("Jalankan personalisasi pengajuan {}", s.number), href: format!("/personalisasi/{}", s.id) });
            }
        }
        Role::Operator => {
            for s in subs(vec![S::Accepted, S::InProgress]).all(db).await? {
                out.push(Todo { label: format!("Personalisasi pengajuan {} ({})", s.number, s.status.label()), href: format!("/personalisasi/{}", s.id) });
            }
        }
        Role::Produsen => {
            // Oldest letter first, walked on the producer's (status, date)
            // index: ordering by `updated_at` sorted every waiting request.
            let waiting = requests::Entity::find()
                .filter(requests::Column::ProducerId.eq(org))
                .filter(requests::Column::Status.eq(R::Submitted))
                .order_by_asc(requests::Column::RequestDate)
                .order_by_asc(requests::Column::Id)
                .limit(TODO_ROWS);
            for r in waiting.all(db).await? {
                out.push(Todo { label: format!("Setujui atau tolak permintaan {}", r.number), href: format!("/permintaan/{}", r.id) });
            }
            for s in subs(vec![S::Done]).filter(submissions::Column::ProducerId.eq(org)).all(db).await? {
                out.push(Todo { label: format!("Catat penerimaan kartu pengajuan {}", s.number), href: format!("/bast/{}", s.id) });
            }
        }
        Role::Lembaga | Role::DukcapilKota => {
            let mine = |statuses| reqs(statuses).filter(requests::Column::OrganisationId.eq(org)).filter(requests::Column::UpdatedAt.gte(recent));
            for r in mine(vec![R::Rejected]).all(db).await? {
                out.push(Todo { label: format!("Permintaan {} ditolak produsen: lihat alasannya", r.number), href: format!("/permintaan/{}", r.id) });
            }
            for r in mine(vec![R::Received]).all(db).await? {
                if let Some(s) = r.submission_id {
                    out.push(Todo { label: format!("Kartu permintaan {} sudah diserahterimakan: periksa dokumen BAST", r.number), href: format!("/bast/{s}") });
                }
            }
        }
    }
    out.truncate(TODO_ROWS as usize);
    Ok(out)
}
