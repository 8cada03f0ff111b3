//! Runs of a submission's cards on a reader station (Proses Personalisasi).
//!
//! Rules:
//! - One running run per submission (unique index on `active_key`).
//! - A run takes the submission's `pending` cards; each card carries its run
//!   id until a result arrives. A result is applied only to a card that is
//!   still `pending` in that very run: a duplicated, replayed or late result
//!   changes nothing (idempotent on run + card).
//! - Every report from the station extends the run's lease. A running run
//!   whose lease expired is reclaimed: its still-pending cards are sent again
//!   (attempt + 1); the station re-reads each card, so a card finished before
//!   a crash is reported clear without being written twice.
//! - The run finishes when none of its cards is pending.
//! - On Progress → Done only when no card is pending and every failed card is
//!   acknowledged by an admin; the institutions are mailed.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    prelude::{DateTimeWithTimeZone, Expr},
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

pub use super::_entities::perso_runs::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{cards, organisations, perso_run_events as events, personalization_requests as requests, stations, submissions, users},
    audit_events::{Actor, Event},
    errors::{AppError, AppResult},
    perso_data::may_personalize,
    roles::Role,
    submissions::{Status, SUBJECT},
    Env,
};
use crate::{
    settings::StationSettings,
    station::{
        protocol::{state_label, Batch, BatchCard, Outcome, ReaderActivity, Report},
    },
};

pub const RUNNING: &str = "running";
pub const FINISHED: &str = "finished";
/// The actor of changes made by a station report or the lease sweeper.
const STATION_ACTOR: &str = "stasiun";

fn now() -> DateTimeWithTimeZone {
    Utc::now().into()
}

fn lease_until(settings: &StationSettings) -> DateTimeWithTimeZone {
    (Utc::now() + Duration::seconds(i64::try_from(settings.lease_secs).unwrap_or(60))).into()
}

fn station_actor(code: &str) -> Actor {
    Actor::anonymous(Some(format!("{STATION_ACTOR} {code}")), "")
}

/// The running run of a submission, if any.
///
/// # Errors
/// On database failure.
pub async fn running<C: ConnectionTrait>(db: &C, submission: i32) -> AppResult<Option<Model>> {
    Ok(Entity::find().filter(Column::ActiveKey.eq(submission)).one(db).await?)
}

/// Mulai Proses: sends the submission's pending cards to `station`; with
/// `retry_failed`, first puts its failed (not acknowledged) cards back to
/// pending. Returns the batch to dispatch after commit.
///
/// # Errors
/// `NotFound` for other roles or an unknown submission; `Conflict` for a
/// submission that is not accepted/running, an inactive station, a run
/// already going, cards without perso data, or nothing to do.
pub async fn start(db: &DatabaseConnection, user: &users::Model, submission: i32, station: i32, retry_failed: bool, settings: &StationSettings, ip: &str) -> AppResult<Batch> {
    if !may_personalize(user) {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let s = submissions::Entity::find_by_id(submission).one(&txn).await?.ok_or(AppError::NotFound)?;
    if !matches!(s.status(), Status::Accepted | Status::InProgress) {
        return Err(AppError::Conflict(format!(
            "Pengajuan {} berstatus {}; proses personalisasi hanya dapat dimulai untuk pengajuan Accepted atau On Progress.",
            s.number,
            s.status().label()
        )));
    }
    let Some(st) = stations::Entity::find_by_id(station).one(&txn).await? else {
        return Err(AppError::field("station", "Pilih stasiun personalisasi."));
    };
    if !st.active {
        return Err(AppError::field("station", format!("Stasiun {} tidak aktif; pilih stasiun lain.", st.name)));
    }
    if let Some(run) = running(&txn, submission).await? {
        return Err(AppError::Conflict(format!("Proses personalisasi pengajuan {} sedang berjalan (run #{}); tunggu hingga selesai.", s.number, run.id)));
    }
    let in_submission = || cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    if retry_failed {
        let reset = cards::Entity::update_many()
            .col_expr(cards::Column::Status, Expr::value("pending"))
            .col_expr(cards::Column::Failure, Expr::value(Option::<String>::None))
            .col_expr(cards::Column::Reader, Expr::value(Option::<String>::None))
            .col_expr(cards::Column::ResultAt, Expr::value(Option::<DateTimeWithTimeZone>::None))
            .filter(cards::Column::SubmissionId.eq(submission))
            .filter(cards::Column::Status.eq("failed"))
            .filter(cards::Column::AcknowledgedAt.is_null())
            .exec(&txn)
            .await?;
        if reset.rows_affected == 0 {
            return Err(AppError::Conflict("Tidak ada kartu gagal yang dapat diulang.".into()));
        }
    }
    let pending = in_submission().filter(cards::Column::Status.eq("pending")).count(&txn).await?;
    if pending == 0 {
        return Err(AppError::Conflict(format!("Tidak ada kartu pengajuan {} yang menunggu personalisasi.", s.number)));
    }
    let without_data = in_submission().filter(cards::Column::Status.eq("pending")).filter(cards::Column::PersoNumber.is_null()).count(&txn).await?;
    if without_data > 0 {
        return Err(AppError::Conflict(format!("{without_data} kartu belum memiliki data personalisasi. Generate atau import data perso terlebih dahulu.")));
    }
    let run = ActiveModel {
        submission_id: Set(submission),
        station_id: Set(st.id),
        started_by: Set(user.id),
        status: Set(RUNNING.into()),
        active_key: Set(Some(submission)),
        attempt: Set(1),
        card_count: Set(i32::try_from(pending).unwrap_or(i32::MAX)),
        lease_until: Set(lease_until(settings)),
        started_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if e.to_string().to_lowercase().contains("unique") || e.to_string().contains("duplicate key") {
            AppError::Conflict(format!("Proses personalisasi pengajuan {} baru saja dimulai oleh pengguna lain.", s.number))
        } else {
            AppError::Db(e)
        }
    })?;
    cards::Entity::update_many()
        .col_expr(cards::Column::RunId, Expr::value(run.id))
        .filter(cards::Column::SubmissionId.eq(submission))
        .filter(cards::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    let actor = Actor::user(user, ip);
    if s.status() == Status::Accepted {
        submissions::Entity::update_many()
            .col_expr(submissions::Column::Status, Expr::value(Status::InProgress.as_str()))
            .col_expr(submissions::Column::PersoStartedAt, Expr::value(now()))
            .col_expr(submissions::Column::UpdatedAt, Expr::value(now()))
            .filter(submissions::Column::Id.eq(submission))
            .exec(&txn)
            .await?;
        Event::new("submission.perso_started", SUBJECT)
            .subject(submission, &s.number)
            .transition(Status::Accepted.as_str(), Status::InProgress.as_str())
            .record(&txn, &actor)
            .await?;
    }
    Event::new(if retry_failed { "perso.run_retry" } else { "perso.run_started" }, SUBJECT)
        .subject(submission, &s.number)
        .note(format!("run #{} di stasiun {} ({}), {pending} kartu", run.id, st.name, st.code))
        .record(&txn, &actor)
        .await?;
    let batch = batch_for(&txn, &run, &st, settings).await?;
    txn.commit().await?;
    Ok(batch)
}

/// The batch of a run: its still-pending cards, in list order.
async fn batch_for<C: ConnectionTrait>(db: &C, run: &Model, station: &stations::Model, settings: &StationSettings) -> AppResult<Batch> {
    let ticket = submissions::Entity::find_by_id(run.submission_id).one(db).await?.and_then(|s| s.ticket_code).unwrap_or_default();
    let cards = cards::Entity::find()
        .filter(cards::Column::RunId.eq(run.id))
        .filter(cards::Column::Status.eq("pending"))
        .order_by_asc(cards::Column::RowNo)
        .all(db)
        .await?
        .into_iter()
        .map(|c| BatchCard {
            card: i64::from(c.id),
            serial: c.serial,
            perso_number: c.perso_number.unwrap_or_default(),
            pcid: c.pcid.unwrap_or_default(),
            manifest: c.manifest_number.unwrap_or_default(),
        })
        .collect();
    Ok(Batch {
        run: i64::from(run.id),
        attempt: u32::try_from(run.attempt).unwrap_or(1),
        station: station.code.clone(),
        ticket,
        lease_secs: settings.lease_secs,
        card_wait_ms: settings.card_wait_ms,
        apdu_timeout_ms: settings.apdu_timeout_ms,
        profile: settings.profile.clone(),
        cards,
    })
}

/// What became of a station report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Recorded,
    /// Logged and dropped, nothing changed: why.
    Dropped(String),
}

/// Applies one station report (the single result path of real and simulated
/// stations).
///
/// # Errors
/// On database failure only; a report that does not fit is `Dropped`.
pub async fn apply(db: &DatabaseConnection, report: &Report, settings: &StationSettings) -> AppResult<Applied> {
    let Ok(run_id) = i32::try_from(report.run()) else {
        return Ok(Applied::Dropped(format!("run {} tidak dikenal", report.run())));
    };
    let txn = crate::models::begin_write(db).await?;
    let Some(run) = Entity::find_by_id(run_id).one(&txn).await? else {
        return Ok(Applied::Dropped(format!("run {run_id} tidak dikenal")));
    };
    let applied = match report {
        Report::Card(c) => {
            let Ok(card_id) = i32::try_from(c.card) else {
                return Ok(Applied::Dropped(format!("kartu {} tidak dikenal", c.card)));
            };
            let (status, failure) = match &c.outcome {
                Outcome::Clear => ("clear", None),
                Outcome::Failed { reason } => ("failed", Some(reason.message())),
            };
            let updated = cards::Entity::update_many()
                .col_expr(cards::Column::Status, Expr::value(status))
                .col_expr(cards::Column::Failure, Expr::value(failure))
                .col_expr(cards::Column::Reader, Expr::value(Some(c.reader.clone()).filter(|r| !r.is_empty())))
                .col_expr(cards::Column::ResultAt, Expr::value(now()))
                .col_expr(cards::Column::Millis, Expr::value(i32::try_from(c.millis).ok()))
                .filter(cards::Column::Id.eq(card_id))
                .filter(cards::Column::RunId.eq(run_id))
                .filter(cards::Column::Serial.eq(c.serial.as_str()))
                .filter(cards::Column::Status.eq("pending"))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 0 {
                return Ok(Applied::Dropped(format!("hasil kartu {card_id} run {run_id}: bukan kartu pending run ini (duplikat atau tidak dikenal)")));
            }
            if run.status == RUNNING {
                extend_lease(&txn, run_id, settings).await?;
                finish_if_complete(&txn, &run).await?;
            }
            Applied::Recorded
        }
        Report::Stray { reader, serial, .. } => {
            events::ActiveModel {
                run_id: Set(run_id),
                kind: Set("stray".into()),
                reader: Set(reader.chars().take(100).collect()),
                message: Set(format!("Kartu salah: No. Seri {} tidak termasuk batch ini; dikeluarkan tanpa ditulis.", serial.chars().take(40).collect::<String>())),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if run.status == RUNNING {
                extend_lease(&txn, run_id, settings).await?;
            }
            Applied::Recorded
        }
        Report::Heartbeat { readers, .. } => {
            if run.status != RUNNING {
                return Ok(Applied::Dropped(format!("heartbeat run {run_id}: run sudah selesai")));
            }
            let json = serde_json::to_string(readers).unwrap_or_default();
            Entity::update_many()
                .col_expr(Column::Readers, Expr::value(json))
                .col_expr(Column::HeartbeatAt, Expr::value(now()))
                .col_expr(Column::LeaseUntil, Expr::value(lease_until(settings)))
                .filter(Column::Id.eq(run_id))
                .exec(&txn)
                .await?;
            Applied::Recorded
        }
        Report::Finished { attempt, .. } => {
            events::ActiveModel {
                run_id: Set(run_id),
                kind: Set("finished".into()),
                reader: Set(String::new()),
                message: Set(format!("Stasiun menyelesaikan batch (percobaan ke-{attempt}).")),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            Applied::Recorded
        }
    };
    txn.commit().await?;
    Ok(applied)
}

async fn extend_lease<C: ConnectionTrait>(db: &C, run: i32, settings: &StationSettings) -> AppResult<()> {
    Entity::update_many().col_expr(Column::LeaseUntil, Expr::value(lease_until(settings))).filter(Column::Id.eq(run)).exec(db).await?;
    Ok(())
}

/// Ends a run none of whose cards is pending any more.
async fn finish_if_complete<C: ConnectionTrait>(db: &C, run: &Model) -> AppResult<bool> {
    let pending = cards::Entity::find().filter(cards::Column::RunId.eq(run.id)).filter(cards::Column::Status.eq("pending")).count(db).await?;
    if pending > 0 {
        return Ok(false);
    }
    let done = Entity::update_many()
        .col_expr(Column::Status, Expr::value(FINISHED))
        .col_expr(Column::ActiveKey, Expr::value(Option::<i32>::None))
        .col_expr(Column::FinishedAt, Expr::value(now()))
        .filter(Column::Id.eq(run.id))
        .filter(Column::Status.eq(RUNNING))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        let code = stations::Entity::find_by_id(run.station_id).one(db).await?.map(|s| s.code).unwrap_or_default();
        let label = submissions::Entity::find_by_id(run.submission_id).one(db).await?.map(|s| s.number).unwrap_or_default();
        Event::new("perso.run_finished", SUBJECT).subject(run.submission_id, label).note(format!("run #{}", run.id)).record(db, &station_actor(&code)).await?;
    }
    Ok(done.rows_affected == 1)
}

/// Reclaims running runs whose lease expired at `at`: their pending cards are
/// sent again with the next attempt number. Returns the batches to dispatch.
///
/// # Errors
/// On database failure.
pub async fn reclaim_due(db: &DatabaseConnection, at: DateTime<Utc>, settings: &StationSettings) -> AppResult<Vec<Batch>> {
    let due = Entity::find().filter(Column::Status.eq(RUNNING)).filter(Column::LeaseUntil.lt(DateTimeWithTimeZone::from(at))).all(db).await?;
    let mut batches = Vec::new();
    for run in due {
        let txn = crate::models::begin_write(db).await?;
        if finish_if_complete(&txn, &run).await? {
            txn.commit().await?;
            continue;
        }
        // Conditional on the attempt: two sweepers never reclaim one run twice.
        let claimed = Entity::update_many()
            .col_expr(Column::Attempt, Expr::value(run.attempt + 1))
            .col_expr(Column::LeaseUntil, Expr::value(lease_until(settings)))
            .filter(Column::Id.eq(run.id))
            .filter(Column::Attempt.eq(run.attempt))
            .filter(Column::Status.eq(RUNNING))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(st) = stations::Entity::find_by_id(run.station_id).one(&txn).await? else { continue };
        let run = Entity::find_by_id(run.id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let batch = batch_for(&txn, &run, &st, settings).await?;
        let label = submissions::Entity::find_by_id(run.submission_id).one(&txn).await?.map(|s| s.number).unwrap_or_default();
        Event::new("perso.run_reclaimed", SUBJECT)
            .subject(run.submission_id, label)
            .note(format!("run #{}: stasiun {} tidak memberi kabar; {} kartu dikirim ulang (percobaan ke-{})", run.id, st.code, batch.cards.len(), run.attempt))
            .record(&txn, &station_actor(&st.code))
            .await?;
        txn.commit().await?;
        batches.push(batch);
    }
    Ok(batches)
}

/// An admin's decision on one card.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct OverrideForm {
    /// `clear` or `failed` (failed = acknowledged, not retried).
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// Admin override of a card's status, with a mandatory note; marking a card
/// failed acknowledges it (Done no longer waits for it).
///
/// # Errors
/// `NotFound` for non-admins and unknown cards; `Invalid` for a missing note
/// or status; `Conflict` while the card is in a running run or the
/// submission is finished.
pub async fn override_card(db: &DatabaseConnection, user: &users::Model, card: i32, form: &OverrideForm, ip: &str) -> AppResult<cards::Model> {
    if Role::parse(&user.role) != Some(Role::Admin) {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let c = cards::Entity::find_by_id(card).one(&txn).await?.ok_or(AppError::NotFound)?;
    let s = submissions::Entity::find_by_id(c.submission_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let mut errors = super::FieldErrors::new();
    let to = match form.status.as_str() {
        "clear" => "clear",
        "failed" => "failed",
        _ => {
            errors.add("status", "Pilih status kartu: Clear atau Failed.");
            ""
        }
    };
    let note = form.note.trim();
    if note.chars().count() < 5 {
        errors.add("note", "Catatan wajib diisi (minimal 5 karakter): jelaskan alasan perubahan status.");
    } else if note.chars().count() > 500 {
        errors.add("note", "Catatan paling banyak 500 karakter.");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if !matches!(s.status(), Status::Accepted | Status::InProgress) {
        return Err(AppError::Conflict(format!("Pengajuan {} berstatus {}; status kartu tidak dapat diubah lagi.", s.number, s.status().label())));
    }
    if c.status == "pending" {
        if let (Some(run), Some(active)) = (c.run_id, running(&txn, s.id).await?) {
            if run == active.id {
                return Err(AppError::Conflict(format!("Kartu {} sedang diproses di stasiun (run #{run}); tunggu hasilnya.", c.serial)));
            }
        }
    }
    let mut row: cards::ActiveModel = c.clone().into();
    row.status = Set(to.into());
    row.override_note = Set(Some(note.to_string()));
    if to == "failed" {
        row.acknowledged_at = Set(Some(now()));
        row.failure = Set(Some(c.failure.clone().unwrap_or_else(|| "Ditandai gagal oleh admin.".into())));
    } else {
        row.acknowledged_at = Set(None);
        row.failure = Set(None);
    }
    let updated = row.update(&txn).await?;
    Event::new("perso.card_override", SUBJECT)
        .subject(s.id, &s.number)
        .transition(c.status.clone(), to)
        .note(format!("kartu {}: {note}", c.serial))
        .record(&txn, &Actor::user(user, ip))
        .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Status Personalisasi → Done. Returns the submission and the queued mails.
///
/// # Errors
/// `NotFound` for other roles; `Conflict` while a run is going, cards are
/// pending, failed cards are not acknowledged, or the submission is not On
/// Progress.
pub async fn finish(db: &DatabaseConnection, user: &users::Model, submission: i32, env: &Env<'_>) -> AppResult<(submissions::Model, Vec<i32>)> {
    if !may_personalize(user) {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let s = submissions::Entity::find_by_id(submission).one(&txn).await?.ok_or(AppError::NotFound)?;
    if s.status() != Status::InProgress {
        return Err(AppError::Conflict(format!("Pengajuan {} berstatus {}; hanya pengajuan On Progress yang dapat diselesaikan.", s.number, s.status().label())));
    }
    if let Some(run) = running(&txn, submission).await? {
        return Err(AppError::Conflict(format!("Proses personalisasi (run #{}) masih berjalan; tunggu hingga selesai.", run.id)));
    }
    let in_submission = || cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    let pending = in_submission().filter(cards::Column::Status.eq("pending")).count(&txn).await?;
    if pending > 0 {
        return Err(AppError::Conflict(format!("{pending} kartu masih pending; personalisasi semua kartu sebelum status Done.")));
    }
    let unacknowledged = in_submission().filter(cards::Column::Status.eq("failed")).filter(cards::Column::AcknowledgedAt.is_null()).count(&txn).await?;
    if unacknowledged > 0 {
        return Err(AppError::Conflict(format!("{unacknowledged} kartu gagal belum ditangani: ulangi kartu gagal, atau admin menandainya Failed dengan catatan.")));
    }
    let moved = submissions::Entity::update_many()
        .col_expr(submissions::Column::Status, Expr::value(Status::Done.as_str()))
        .col_expr(submissions::Column::PersoFinishedAt, Expr::value(now()))
        .col_expr(submissions::Column::UpdatedAt, Expr::value(now()))
        .filter(submissions::Column::Id.eq(submission))
        .filter(submissions::Column::Status.eq(Status::InProgress.as_str()))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::Conflict(format!("Pengajuan {} baru saja diubah pengguna lain. Muat ulang halaman.", s.number)));
    }
    Event::new("submission.done", SUBJECT)
        .subject(submission, &s.number)
        .transition(Status::InProgress.as_str(), Status::Done.as_str())
        .record(&txn, &Actor::user(user, env.ip))
        .await?;
    super::submissions::reschedule(&txn, env.disposition_days).await?;
    let done = submissions::Entity::find_by_id(submission).one(&txn).await?.ok_or(AppError::NotFound)?;
    let producer = organisations::Entity::find_by_id(done.producer_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let bundle = requests::Entity::find().filter(requests::Column::SubmissionId.eq(submission)).all(&txn).await?;
    let mut mails = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in &bundle {
        if !seen.insert(r.organisation_id) {
            continue;
        }
        let org = organisations::Entity::find_by_id(r.organisation_id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let ids: Vec<i32> = bundle.iter().filter(|b| b.organisation_id == org.id).map(|b| b.id).collect();
        let numbers: Vec<String> = bundle.iter().filter(|b| b.organisation_id == org.id).map(|b| b.number.clone()).collect();
        let clear = cards::Entity::find().filter(cards::Column::RequestId.is_in(ids.clone())).filter(cards::Column::Status.eq("clear")).count(&txn).await?;
        let total = cards::Entity::find().filter(cards::Column::RequestId.is_in(ids)).count(&txn).await?;
        let to = super::personalization_requests::recipients(&txn, &org).await?;
        mails.extend(crate::mailers::submissions::done_for_institution(&txn, env.base_url, &done, &producer, &org, &numbers, clear, total, &to).await?);
    }
    txn.commit().await?;
    Ok((done, mails))
}

/// Live progress of a submission's personalization.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub total: u64,
    pub pending: u64,
    pub clear: u64,
    pub failed: u64,
    pub acknowledged: u64,
    /// Cards with a result, per cent of all cards.
    pub percent: u64,
    pub status: String,
    pub status_label: String,
    pub run: Option<RunView>,
    /// Whether Done may be pressed now.
    pub may_finish: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub id: i32,
    pub running: bool,
    pub station: String,
    pub attempt: i32,
    pub card_count: i32,
    pub done: u64,
    pub started_at: String,
    pub heartbeat_at: String,
    pub finished_at: String,
    pub readers: Vec<ReaderView>,
    /// Seconds left at the pace so far; `None` before the first result.
    pub eta_secs: Option<u64>,
    /// Running, and no station has reported anything yet.
    pub waiting_for_station: bool,
    pub strays: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReaderView {
    pub reader: String,
    pub state: String,
    /// `state` in Indonesian, for the page.
    pub label: &'static str,
    pub serial: Option<String>,
    pub done: u64,
}

/// # Errors
/// On database failure.
pub async fn progress(db: &DatabaseConnection, submission: &submissions::Model) -> AppResult<Progress> {
    let id = submission.id;
    let counts = super::perso_data::counts(db, id).await?;
    let acknowledged = cards::Entity::find()
        .filter(cards::Column::SubmissionId.eq(id))
        .filter(cards::Column::Status.eq("failed"))
        .filter(cards::Column::AcknowledgedAt.is_not_null())
        .count(db)
        .await?;
    let run = Entity::find().filter(Column::SubmissionId.eq(id)).order_by_desc(Column::Id).one(db).await?;
    let run = match run {
        Some(r) => Some(run_view(db, r).await?),
        None => None,
    };
    let st = submission.status();
    let percent = ((counts.clear + counts.failed) * 100).checked_div(counts.total).unwrap_or(0);
    let running = run.as_ref().is_some_and(|r| r.running);
    Ok(Progress {
        total: counts.total,
        pending: counts.pending,
        clear: counts.clear,
        failed: counts.failed,
        acknowledged,
        percent,
        status: st.as_str().into(),
        status_label: st.label().into(),
        may_finish: st == Status::InProgress && !running && counts.pending == 0 && counts.failed == acknowledged,
        run,
    })
}

async fn run_view(db: &DatabaseConnection, run: Model) -> AppResult<RunView> {
    let station = stations::Entity::find_by_id(run.station_id).one(db).await?.map(|s| format!("{} ({})", s.name, s.code)).unwrap_or_default();
    let per_reader: Vec<(Option<String>, i64)> = cards::Entity::find()
        .select_only()
        .column(cards::Column::Reader)
        .column_as(cards::Column::Id.count(), "n")
        .filter(cards::Column::RunId.eq(run.id))
        .filter(cards::Column::Status.ne("pending"))
        .group_by(cards::Column::Reader)
        .into_tuple()
        .all(db)
        .await?;
    let done: u64 = per_reader.iter().map(|(_, n)| u64::try_from(*n).unwrap_or(0)).sum();
    let activity: Vec<ReaderActivity> = run.readers.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    let count_of = |name: &str| per_reader.iter().find(|(r, _)| r.as_deref() == Some(name)).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
    let mut readers: Vec<ReaderView> = activity.iter().map(|a| ReaderView { reader: a.reader.clone(), state: a.state.clone(), label: a.label(), serial: a.serial.clone(), done: count_of(&a.reader) }).collect();
    for (name, n) in &per_reader {
        if let Some(name) = name {
            if !readers.iter().any(|r| &r.reader == name) {
                readers.push(ReaderView { reader: name.clone(), state: "done".into(), label: state_label("done"), serial: None, done: u64::try_from(*n).unwrap_or(0) });
            }
        }
    }
    readers.sort_by(|a, b| a.reader.cmp(&b.reader));
    let running = run.status == RUNNING;
    if !running {
        // Heartbeats stop with the run: its last one still says what the
        // readers were doing then. A finished run's readers are done (a
        // reader the watchdog gave up on stays flagged).
        for r in readers.iter_mut().filter(|r| r.state != "stuck") {
            r.state = "done".into();
            r.label = state_label("done");
            r.serial = None;
        }
    }
    let remaining = u64::try_from(run.card_count).unwrap_or(0).saturating_sub(done);
    let elapsed = (Utc::now() - run.started_at.with_timezone(&Utc)).num_milliseconds().max(0) as u64;
    let eta_secs = (running && done > 0).then(|| elapsed * remaining / done / 1000);
    let strays = events::Entity::find()
        .filter(events::Column::RunId.eq(run.id))
        .filter(events::Column::Kind.eq("stray"))
        .order_by_desc(events::Column::Id)
        .limit(5)
        .all(db)
        .await?
        .into_iter()
        .map(|e| format!("{}: {}", e.reader, e.message))
        .collect();
    let stamp = |t: Option<DateTimeWithTimeZone>| t.map(|t| crate::views::filters::jam_wib(&t)).unwrap_or_default();
    Ok(RunView {
        id: run.id,
        running,
        station,
        attempt: run.attempt,
        card_count: run.card_count,
        done,
        started_at: stamp(Some(run.started_at)),
        heartbeat_at: stamp(run.heartbeat_at),
        finished_at: stamp(run.finished_at),
        waiting_for_station: running && run.heartbeat_at.is_none() && done == 0,
        readers,
        eta_secs,
        strays,
    })
}
