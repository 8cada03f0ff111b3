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
pub mod follow;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    prelude::{DateTimeWithTimeZone, Expr},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

pub use super::_entities::perso_runs::{ActiveModel, Column, Entity, Model};
pub use super::_entities::sea_orm_active_enums::RunStatus as Status;
use super::{
    _entities::{perso_run_events as events, stations, submissions, users},
    audit_events::{Action, Actor, Event},
    cards::{self, perso_data::may_personalize, Cause, Status as CardStatus, Which},
    errors::{AppError, AppResult},
    submissions::{Move, Status as SubmissionStatus, SUBJECT},
    Env,
};
use crate::{
    settings::StationSettings,
    station::protocol::{state_label, Batch, BatchCard, Outcome, ReaderActivity, Report},
};

impl Status {
    /// `running → finished`, once none of the run's cards is pending.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::Running, Self::Finished))
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Running => "Berjalan",
            Self::Finished => "Selesai",
        }
    }
}
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
/// already going, cards without perso data, or nothing to do; `Invalid`
/// (audited) for a station not assigned to the operator.
pub async fn start(
    db: &DatabaseConnection,
    user: &users::Model,
    submission: i32,
    station: i32,
    retry_failed: bool,
    settings: &StationSettings,
    env: &Env<'_>,
) -> AppResult<Batch> {
    if !may_personalize(user) {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let s = submissions::Entity::find_by_id(submission).one(&txn).await?.ok_or(AppError::NotFound)?;
    if !matches!(s.status, SubmissionStatus::Accepted | SubmissionStatus::InProgress) {
        return Err(AppError::Conflict(format!(
            "Pengajuan {} berstatus {}; proses personalisasi hanya dapat dimulai untuk pengajuan Accepted atau On Progress.",
            s.number,
            s.status.label()
        )));
    }
    let Some(st) = stations::Entity::find_by_id(station).one(&txn).await? else {
        return Err(AppError::field("station", "Pilih stasiun personalisasi."));
    };
    if !st.active {
        return Err(AppError::field("station", format!("Stasiun {} tidak aktif; pilih stasiun lain.", st.name)));
    }
    if !crate::models::stations::operators::may_use(&txn, user, st.id).await? {
        Event::new(Action::RunRefusedStation, SUBJECT)
            .subject(submission, &s.number)
            .note(format!("stasiun {} ({}) tidak ditugaskan kepada {}", st.name, st.code, user.username))
            .record(&txn, &Actor::user(user, env.ip))
            .await?;
        txn.commit().await?;
        return Err(AppError::field("station", format!("Stasiun {} tidak ditugaskan kepada Anda; pilih stasiun Anda atau hubungi admin.", st.name)));
    }
    if let Some(run) = running(&txn, submission).await? {
        return Err(AppError::Conflict(format!("Proses personalisasi pengajuan {} sedang berjalan (run #{}); tunggu hingga selesai.", s.number, run.id)));
    }
    let in_submission = || cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    if retry_failed {
        let reset =
            cards::transition(&txn, Which::Unacknowledged { submission }, CardStatus::Failed, CardStatus::Pending, Cause::Retry, cards::Outcome::default())
                .await?;
        if reset == 0 {
            return Err(AppError::Conflict("Tidak ada kartu gagal yang dapat diulang.".into()));
        }
    }
    let pending = in_submission().filter(cards::Column::Status.eq(CardStatus::Pending)).count(&txn).await?;
    if pending == 0 {
        return Err(AppError::Conflict(format!("Tidak ada kartu pengajuan {} yang menunggu personalisasi.", s.number)));
    }
    let without_data = in_submission().filter(cards::Column::Status.eq(CardStatus::Pending)).filter(cards::Column::PersoNumber.is_null()).count(&txn).await?;
    if without_data > 0 {
        return Err(AppError::Conflict(format!("{without_data} kartu belum memiliki data personalisasi. Generate atau import data perso terlebih dahulu.")));
    }
    let run = ActiveModel {
        submission_id: Set(submission),
        station_id: Set(st.id),
        started_by: Set(user.id),
        status: Set(Status::Running),
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
            AppError::from(e)
        }
    })?;
    cards::Entity::update_many()
        .col_expr(cards::Column::RunId, Expr::value(run.id))
        .filter(cards::Column::SubmissionId.eq(submission))
        .filter(cards::Column::Status.eq(CardStatus::Pending))
        .exec(&txn)
        .await?;
    let actor = Actor::user(user, env.ip);
    if s.status == SubmissionStatus::Accepted {
        super::submissions::transition(&txn, &s, Move { to: SubmissionStatus::InProgress, actor: &actor, note: None, env, also: Vec::new() }).await?;
    }
    Event::new(if retry_failed { Action::RunRetry } else { Action::RunStarted }, SUBJECT)
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
        .filter(cards::Column::Status.eq(CardStatus::Pending))
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
            let (to, failure) = match &c.outcome {
                Outcome::Clear => (CardStatus::Clear, None),
                Outcome::Failed { reason } => (CardStatus::Failed, Some(reason.message())),
            };
            let outcome = cards::Outcome {
                failure,
                reader: Some(c.reader.clone()).filter(|r| !r.is_empty()),
                millis: i32::try_from(c.millis).ok(),
                ..Default::default()
            };
            let which = Which::InRun { card: card_id, run: run_id, serial: c.serial.clone() };
            // 0 rows: not a pending card of this run (a duplicate, replayed or late result).
            if cards::transition(&txn, which, CardStatus::Pending, to, Cause::Station, outcome).await? == 0 {
                return Ok(Applied::Dropped(format!("hasil kartu {card_id} run {run_id}: bukan kartu pending run ini (duplikat atau tidak dikenal)")));
            }
            if run.status == Status::Running {
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
                message: Set(format!(
                    "Kartu salah: No. Seri {} tidak termasuk batch ini; dikeluarkan tanpa ditulis.",
                    serial.chars().take(40).collect::<String>()
                )),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if run.status == Status::Running {
                extend_lease(&txn, run_id, settings).await?;
            }
            Applied::Recorded
        }
        Report::Heartbeat { readers, .. } => {
            if run.status != Status::Running {
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

/// The run machine's one move, `running → finished`: taken once none of
/// the run's cards is pending, guarded by `status = running`.
async fn finish_if_complete<C: ConnectionTrait>(db: &C, run: &Model) -> AppResult<bool> {
    let pending = cards::Entity::find().filter(cards::Column::RunId.eq(run.id)).filter(cards::Column::Status.eq(CardStatus::Pending)).count(db).await?;
    if pending > 0 {
        return Ok(false);
    }
    let done = Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Finished))
        .col_expr(Column::ActiveKey, Expr::value(Option::<i32>::None))
        .col_expr(Column::FinishedAt, Expr::value(now()))
        .filter(Column::Id.eq(run.id))
        .filter(Column::Status.eq(Status::Running))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        let code = stations::Entity::find_by_id(run.station_id).one(db).await?.map(|s| s.code).unwrap_or_default();
        let label = submissions::Entity::find_by_id(run.submission_id).one(db).await?.map(|s| s.number).unwrap_or_default();
        Event::new(Action::RunFinished, SUBJECT).subject(run.submission_id, label).note(format!("run #{}", run.id)).record(db, &station_actor(&code)).await?;
    }
    Ok(done.rows_affected == 1)
}

/// Reclaims running runs whose lease expired at `at`: their pending cards are
/// sent again with the next attempt number. Returns the batches to dispatch.
///
/// # Errors
/// On database failure.
pub async fn reclaim_due(db: &DatabaseConnection, at: DateTime<Utc>, settings: &StationSettings) -> AppResult<Vec<Batch>> {
    let due = Entity::find().filter(Column::Status.eq(Status::Running)).filter(Column::LeaseUntil.lt(DateTimeWithTimeZone::from(at))).all(db).await?;
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
            .filter(Column::Status.eq(Status::Running))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(st) = stations::Entity::find_by_id(run.station_id).one(&txn).await? else { continue };
        let run = Entity::find_by_id(run.id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let batch = batch_for(&txn, &run, &st, settings).await?;
        let label = submissions::Entity::find_by_id(run.submission_id).one(&txn).await?.map(|s| s.number).unwrap_or_default();
        Event::new(Action::RunReclaimed, SUBJECT)
            .subject(run.submission_id, label)
            .note(format!("run #{}: stasiun {} tidak memberi kabar; {} kartu dikirim ulang (percobaan ke-{})", run.id, st.code, batch.cards.len(), run.attempt))
            .record(&txn, &station_actor(&st.code))
            .await?;
        txn.commit().await?;
        batches.push(batch);
    }
    Ok(batches)
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
    if s.status != SubmissionStatus::InProgress {
        return Err(AppError::Conflict(format!("Pengajuan {} berstatus {}; hanya pengajuan On Progress yang dapat diselesaikan.", s.number, s.status.label())));
    }
    if let Some(run) = running(&txn, submission).await? {
        return Err(AppError::Conflict(format!("Proses personalisasi (run #{}) masih berjalan; tunggu hingga selesai.", run.id)));
    }
    let in_submission = || cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    let pending = in_submission().filter(cards::Column::Status.eq(CardStatus::Pending)).count(&txn).await?;
    if pending > 0 {
        return Err(AppError::Conflict(format!("{pending} kartu masih pending; personalisasi semua kartu sebelum status Done.")));
    }
    let unacknowledged =
        in_submission().filter(cards::Column::Status.eq(CardStatus::Failed)).filter(cards::Column::AcknowledgedAt.is_null()).count(&txn).await?;
    if unacknowledged > 0 {
        return Err(AppError::Conflict(format!(
            "{unacknowledged} kartu gagal belum ditangani: ulangi kartu gagal, atau admin menandainya Failed dengan catatan."
        )));
    }
    let actor = Actor::user(user, env.ip);
    let (done, mails) = super::submissions::transition(&txn, &s, Move { to: SubmissionStatus::Done, actor: &actor, note: None, env, also: Vec::new() }).await?;
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
    pub status: SubmissionStatus,
    pub status_label: &'static str,
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
    // The run is read before the cards: a run is finished only after its
    // last card's result committed, so a finished run is never shown with a
    // card still pending (each read sees what was committed when it began).
    let run = Entity::find().filter(Column::SubmissionId.eq(id)).order_by_desc(Column::Id).one(db).await?;
    let counts = super::cards::perso_data::counts(db, id).await?;
    let acknowledged = cards::Entity::find()
        .filter(cards::Column::SubmissionId.eq(id))
        .filter(cards::Column::Status.eq(CardStatus::Failed))
        .filter(cards::Column::AcknowledgedAt.is_not_null())
        .count(db)
        .await?;
    let run = match run {
        Some(r) => Some(run_view(db, r).await?),
        None => None,
    };
    let st = submission.status;
    let percent = ((counts.clear + counts.failed) * 100).checked_div(counts.total).unwrap_or(0);
    let running = run.as_ref().is_some_and(|r| r.running);
    Ok(Progress {
        total: counts.total,
        pending: counts.pending,
        clear: counts.clear,
        failed: counts.failed,
        acknowledged,
        percent,
        status: st,
        status_label: st.label(),
        may_finish: st == SubmissionStatus::InProgress && !running && counts.pending == 0 && counts.failed == acknowledged,
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
        .filter(cards::Column::Status.ne(CardStatus::Pending))
        .group_by(cards::Column::Reader)
        .into_tuple()
        .all(db)
        .await?;
    let done: u64 = per_reader.iter().map(|(_, n)| u64::try_from(*n).unwrap_or(0)).sum();
    let activity: Vec<ReaderActivity> = run.readers.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    let count_of = |name: &str| per_reader.iter().find(|(r, _)| r.as_deref() == Some(name)).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
    let mut readers: Vec<ReaderView> = activity
        .iter()
        .map(|a| ReaderView { reader: a.reader.clone(), state: a.state.clone(), label: a.label(), serial: a.serial.clone(), done: count_of(&a.reader) })
        .collect();
    for (name, n) in &per_reader {
        if let Some(name) = name {
            if !readers.iter().any(|r| &r.reader == name) {
                readers.push(ReaderView {
                    reader: name.clone(),
                    state: "done".into(),
                    label: state_label("done"),
                    serial: None,
                    done: u64::try_from(*n).unwrap_or(0),
                });
            }
        }
    }
    readers.sort_by(|a, b| a.reader.cmp(&b.reader));
    let running = run.status == Status::Running;
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
    let stamp = |t: Option<DateTimeWithTimeZone>| t.map(|t| crate::locale::jam_wib(&t)).unwrap_or_default();
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
