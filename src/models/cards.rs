//! A SAM card of a submission: what happens to it is decided here — a
//! station's result, a retry of the failed ones, an admin's override.
//!
//! Card machine (DESIGN §1): `pending → clear | failed` by a station result;
//! `failed → pending` by a retry; an admin may override any card to `clear`
//! or `failed` with a note (marking it `failed` acknowledges it, so Done no
//! longer waits for it). Every write of `cards.status` goes through
//! [`transition`].
pub mod perso_data;

use chrono::Utc;
use sea_orm::{
    prelude::{DateTimeWithTimeZone, Expr},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

pub use super::_entities::cards::{ActiveModel, Column, Entity, Model};
pub use super::_entities::sea_orm_active_enums::CardStatus as Status;
use super::{
    _entities::{submissions, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    roles::Role,
    submissions::{Status as SubmissionStatus, SUBJECT},
};

/// Who moves a card, which decides the moves allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A station's result for a card of its batch.
    Station,
    /// Ulangi Kartu Gagal: failed cards go back to the queue.
    Retry,
    /// An admin's decision with a note.
    Override,
}

impl Status {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Clear, Self::Failed];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Clear => "clear",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn badge(self) -> crate::models::Badge {
        crate::models::Badge { code: self.as_str(), label: self.label() }
    }

    /// The seed's labels for card results.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pending => "Menunggu",
            Self::Clear => "Clear",
            Self::Failed => "Failed",
        }
    }

    /// The only legal moves, by cause.
    #[must_use]
    pub const fn can_become(self, to: Self, cause: Cause) -> bool {
        match cause {
            Cause::Station => matches!((self, to), (Self::Pending, Self::Clear | Self::Failed)),
            Cause::Retry => matches!((self, to), (Self::Failed, Self::Pending)),
            // Failed → failed is the admin's acknowledgement.
            Cause::Override => matches!((self, to), (Self::Pending | Self::Failed, Self::Clear) | (_, Self::Failed)),
        }
    }
}

/// Which cards a move applies to; the guard `status = from` is added by
/// [`transition`].
pub enum Which {
    /// One card of a run, matched by its serial too (a station's result).
    InRun { card: i32, run: i32, serial: String },
    /// One card by id (an admin's override).
    One(i32),
    /// Every not yet acknowledged card of a submission (a retry).
    Unacknowledged { submission: i32 },
}

/// What a move writes beside the status.
#[derive(Debug, Default)]
pub struct Outcome {
    pub failure: Option<String>,
    pub reader: Option<String>,
    pub millis: Option<i32>,
    pub override_note: Option<String>,
    /// Only for an admin's `failed`: acknowledged now.
    pub acknowledge: bool,
}

/// The one way a card's status changes: checks the move against the
/// machine and updates the cards in `which` guarded by `status = from`.
/// Returns how many cards moved (0: a duplicate or late result, which the
/// caller drops). Audit rows are the caller's: a station result is logged
/// per run, not per card.
///
/// # Errors
/// `Conflict` for an illegal move.
pub async fn transition<C: ConnectionTrait>(txn: &C, which: Which, from: Status, to: Status, cause: Cause, outcome: Outcome) -> AppResult<u64> {
    if !from.can_become(to, cause) {
        return Err(AppError::Conflict(format!("Status kartu {} tidak dapat diubah menjadi {}.", from.label(), to.label())));
    }
    let now = DateTimeWithTimeZone::from(Utc::now());
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(to)).col_expr(Column::Failure, Expr::value(outcome.failure));
    update = match cause {
        Cause::Station => update
            .col_expr(Column::Reader, Expr::value(outcome.reader))
            .col_expr(Column::ResultAt, Expr::value(now))
            .col_expr(Column::Millis, Expr::value(outcome.millis)),
        Cause::Retry => {
            update.col_expr(Column::Reader, Expr::value(Option::<String>::None)).col_expr(Column::ResultAt, Expr::value(Option::<DateTimeWithTimeZone>::None))
        }
        Cause::Override => update
            .col_expr(Column::OverrideNote, Expr::value(outcome.override_note))
            .col_expr(Column::AcknowledgedAt, Expr::value(outcome.acknowledge.then_some(now))),
    };
    update = match which {
        Which::InRun { card, run, serial } => update.filter(Column::Id.eq(card)).filter(Column::RunId.eq(run)).filter(Column::Serial.eq(serial)),
        Which::One(card) => update.filter(Column::Id.eq(card)),
        Which::Unacknowledged { submission } => update.filter(Column::SubmissionId.eq(submission)).filter(Column::AcknowledgedAt.is_null()),
    };
    Ok(update.filter(Column::Status.eq(from)).exec(txn).await?.rows_affected)
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
pub async fn override_card(db: &DatabaseConnection, user: &users::Model, card: i32, form: &OverrideForm, ip: &str) -> AppResult<Model> {
    if Role::parse(&user.role) != Some(Role::Admin) {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let to = match Status::parse(&form.status) {
        Some(s @ (Status::Clear | Status::Failed)) => Some(s),
        _ => {
            errors.add("status", "Pilih status kartu: Clear atau Failed.");
            None
        }
    };
    let note = form.note.trim();
    if note.chars().count() < 5 {
        errors.add("note", "Catatan wajib diisi (minimal 5 karakter): jelaskan alasan perubahan status.");
    } else if note.chars().count() > 500 {
        errors.add("note", "Catatan paling banyak 500 karakter.");
    }
    let (Some(to), true) = (to, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let txn = super::begin_write(db).await?;
    let c = Entity::find_by_id(card).one(&txn).await?.ok_or(AppError::NotFound)?;
    let s = submissions::Entity::find_by_id(c.submission_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    if !matches!(s.status, SubmissionStatus::Accepted | SubmissionStatus::InProgress) {
        return Err(AppError::Conflict(format!("Pengajuan {} berstatus {}; status kartu tidak dapat diubah lagi.", s.number, s.status.label())));
    }
    if c.status == Status::Pending {
        if let (Some(run), Some(active)) = (c.run_id, super::runs::running(&txn, s.id).await?) {
            if run == active.id {
                return Err(AppError::Conflict(format!("Kartu {} sedang diproses di stasiun (run #{run}); tunggu hasilnya.", c.serial)));
            }
        }
    }
    let failure = (to == Status::Failed).then(|| c.failure.clone().unwrap_or_else(|| "Ditandai gagal oleh admin.".into()));
    let outcome = Outcome { failure, override_note: Some(note.to_string()), acknowledge: to == Status::Failed, ..Default::default() };
    if transition(&txn, Which::One(c.id), c.status, to, Cause::Override, outcome).await? != 1 {
        return Err(AppError::Conflict(format!("Kartu {} baru saja berubah status. Muat ulang halaman.", c.serial)));
    }
    Event::new(Action::CardOverride, SUBJECT)
        .subject(s.id, &s.number)
        .transition(c.status.as_str(), to.as_str())
        .note(format!("kartu {}: {note}", c.serial))
        .record(&txn, &Actor::user(user, ip))
        .await?;
    let updated = Entity::find_by_id(card).one(&txn).await?.ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}
