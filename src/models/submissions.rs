//! Pengajuan SAM Rekam Cetak: a producer bundles approved requests into one
//! submission with the list of blank cards; the admin accepts it (Kode
//! Tiket, schedule) or rejects it.
//!
//! Status machine (DESIGN §1): `new → accepted | rejected`;
//! `accepted → in_progress → done → received`. A `new` submission may be
//! edited or removed by its producer; removing or rejecting frees its
//! requests (`bundled → approved`).
//!
//! Kode Tiket: `PERSO-<year>-<5-digit sequence within the year>`, e.g.
//! `PERSO-2026-00007`, issued at acceptance, unique (index).
pub mod card_list;
pub mod handover;
pub mod lifecycle;
pub mod page;
pub mod queue;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use sea_orm::{
    prelude::Expr,
    sea_query::{ExprTrait as _, Query},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::submissions::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{audit_events, cards, organisations, personalization_requests as requests, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
    paging::{PageNo, Window},
    requests::Status as RequestStatus,
    roles::Role,
    uploads, Env,
};
pub use lifecycle::{open_requests, CardFile, Form};
pub use queue::{calendar, reschedule};

/// The audit subject type; a submission's timeline is its audit rows.
pub const SUBJECT: &str = "pengajuan";
pub const FILE_AREA: &str = "submissions";

pub use super::_entities::sea_orm_active_enums::SubmissionStatus as Status;

impl Status {
    pub const ALL: [Self; 6] = [Self::New, Self::Accepted, Self::Rejected, Self::InProgress, Self::Done, Self::Received];

    /// The stored value, also the list filter's and the badges' CSS key.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Received => "received",
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

    /// The seed's labels.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Accepted => "Accepted",
            Self::Rejected => "Rejected",
            Self::InProgress => "On Progress",
            Self::Done => "Done",
            Self::Received => "Received",
        }
    }

    /// Timeline percent by stage.
    #[must_use]
    pub const fn percent(self) -> u8 {
        match self {
            Self::New | Self::Rejected => 0,
            Self::Accepted => 25,
            Self::InProgress => 50,
            Self::Done => 75,
            Self::Received => 100,
        }
    }

    /// The only legal moves (DESIGN §1). Removing a `new` submission is a
    /// deletion, not a move.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::New, Self::Accepted | Self::Rejected) | (Self::Accepted, Self::InProgress) | (Self::InProgress, Self::Done) | (Self::Done, Self::Received)
        )
    }

    const fn action(self) -> Action {
        match self {
            Self::New => Action::SubmissionCreated,
            Self::Accepted => Action::SubmissionAccepted,
            Self::Rejected => Action::SubmissionRejected,
            Self::InProgress => Action::SubmissionPersoStarted,
            Self::Done => Action::SubmissionDone,
            Self::Received => Action::SubmissionReceived,
        }
    }

    /// Where the submission's requests go when it moves here: (from, to).
    const fn requests_follow(self) -> Option<(RequestStatus, RequestStatus)> {
        match self {
            Self::Rejected => Some((RequestStatus::Bundled, RequestStatus::Approved)),
            Self::InProgress => Some((RequestStatus::Bundled, RequestStatus::InProgress)),
            Self::Done => Some((RequestStatus::InProgress, RequestStatus::Done)),
            Self::Received => Some((RequestStatus::Done, RequestStatus::Received)),
            Self::New | Self::Accepted => None,
        }
    }
}

/// A move of one submission, and what it carries.
pub struct Move<'a> {
    pub to: Status,
    pub actor: &'a Actor,
    /// The rejection reason, or a note for the timeline.
    pub note: Option<&'a str>,
    pub env: &'a Env<'a>,
    /// Further columns set by the same guarded UPDATE (Kode Tiket at
    /// acceptance, who recorded the receipt).
    pub also: Vec<(Column, sea_orm::Value)>,
}

/// The one way a submission's status changes. Checks the move against the
/// machine; updates the row guarded by `WHERE status = from` (0 rows: 409);
/// stamps the stage's time; writes the audit row; moves the bundled
/// requests with it (`requests::transition`, same transaction); recomputes
/// the queue's estimates when the queue changed; and queues the mails of
/// the move (producer on accept/reject, institutions on accept and Done).
/// Everything runs on `txn`; the caller commits.
///
/// # Errors
/// `Conflict` for an illegal move or when the submission moved meanwhile.
pub async fn transition<C: ConnectionTrait>(txn: &C, s: &Model, m: Move<'_>) -> AppResult<(Model, Vec<i32>)> {
    let from = s.status;
    if !from.can_become(m.to) {
        return Err(AppError::Conflict(format!("Pengajuan {} berstatus {}; tidak dapat diubah menjadi {}.", s.number, from.label(), m.to.label())));
    }
    let now = sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now());
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(m.to)).col_expr(Column::UpdatedAt, Expr::value(now));
    update = match m.to {
        Status::Accepted => update.col_expr(Column::AcceptedAt, Expr::value(now)),
        Status::Rejected => update.col_expr(Column::DecisionNote, Expr::value(m.note.map(str::to_string))),
        Status::InProgress => update.col_expr(Column::PersoStartedAt, Expr::value(now)),
        Status::Done => update.col_expr(Column::PersoFinishedAt, Expr::value(now)),
        Status::Received => update.col_expr(Column::ReceivedAt, Expr::value(now)),
        Status::New => update,
    };
    for (column, value) in m.also {
        update = update.col_expr(column, Expr::value(value));
    }
    let moved = update.filter(Column::Id.eq(s.id)).filter(Column::Status.eq(from)).exec(txn).await?;
    if moved.rows_affected != 1 {
        return Err(AppError::Conflict(format!("Pengajuan {} baru saja diubah oleh pengguna lain. Muat ulang halaman.", s.number)));
    }
    let mut event = Event::new(m.to.action(), SUBJECT).subject(s.id, &s.number).transition(from.as_str(), m.to.as_str());
    if let Some(note) = m.note {
        event = event.note(note);
    }
    event.record(txn, m.actor).await?;
    let bundle = requests::Entity::find().filter(requests::Column::SubmissionId.eq(s.id)).order_by_asc(requests::Column::Id).all(txn).await?;
    if let Some((r_from, r_to)) = m.to.requests_follow() {
        let ids: Vec<i32> = bundle.iter().map(|r| r.id).collect();
        let note = match m.to {
            Status::Rejected => format!("pengajuan {} ditolak", s.number),
            _ => format!("mengikuti pengajuan {}", s.number),
        };
        let rm =
            super::requests::Move { from: r_from, to: r_to, actor: m.actor, note: Some(&note), submission: None, base_url: m.env.base_url, audiences: None };
        super::requests::transition(txn, &ids, &rm).await?;
    }
    if matches!(m.to, Status::Accepted | Status::Rejected | Status::Done) {
        reschedule(txn, m.env.disposition_days).await?;
    }
    let moved = Entity::find_by_id(s.id).one(txn).await?.ok_or(AppError::NotFound)?;
    let mails = lifecycle::mails_of_move(txn, &moved, &bundle, m.env.base_url).await?;
    Ok((moved, mails))
}

/// Who looks at submissions, and which ones they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Its own submissions; creates, edits, removes.
    Producer(i32),
    /// Everything; accepts and rejects.
    Admin,
    /// Read-only: the submissions that carry its requests.
    Institution(i32),
    Nobody,
}

impl super::Scope for Viewer {
    fn of(user: &users::Model) -> Self {
        Self::of(user)
    }

    fn sees_nothing(self) -> bool {
        self == Self::Nobody
    }
}

impl Viewer {
    #[must_use]
    pub fn of(user: &users::Model) -> Self {
        match (Role::parse(&user.role), user.organisation_id) {
            (Some(Role::Admin), _) => Self::Admin,
            (Some(Role::Produsen), Some(org)) => Self::Producer(org),
            (Some(Role::Lembaga | Role::DukcapilKota), Some(org)) => Self::Institution(org),
            _ => Self::Nobody,
        }
    }

    #[must_use]
    pub fn condition(self) -> Condition {
        match self {
            Self::Producer(org) => Condition::all().add(Column::ProducerId.eq(org)),
            Self::Admin => Condition::all(),
            Self::Institution(org) => Condition::all().add(
                Column::Id.in_subquery(
                    Query::select()
                        .column(requests::Column::SubmissionId)
                        .from(requests::Entity)
                        .and_where(requests::Column::OrganisationId.eq(org))
                        .and_where(requests::Column::SubmissionId.is_not_null())
                        .to_owned(),
                ),
            ),
            Self::Nobody => Condition::all().add(Expr::val(1).eq(0)),
        }
    }
}

impl Model {
    #[must_use]
    pub const fn status(&self) -> Status {
        self.status
    }

    /// # Errors
    /// `NotFound` when missing or outside the viewer's scope.
    pub async fn find_for<C: ConnectionTrait>(db: &C, viewer: Viewer, id: i32) -> AppResult<Self> {
        Entity::find_by_id(id).filter(viewer.condition()).one(db).await?.ok_or(AppError::NotFound)
    }

    #[must_use]
    pub fn download_name(&self) -> String {
        uploads::download_name("Pengajuan", &self.number, &self.file_kind)
    }
}

/// The list's query string.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: PageNo,
}

impl ListQuery {
    /// One page of submissions (newest first) with the producer's name.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page(&self, db: &DatabaseConnection, viewer: Viewer, per_page: u64) -> AppResult<(Vec<(Model, Option<organisations::Model>)>, Window)> {
        let statuses: Vec<Status> = Status::parse(&self.status).map_or_else(|| Status::ALL.to_vec(), |s| vec![s]);
        search_page(db, viewer.condition(), &statuses, self, &[(Column::Id, Order::Desc)], per_page).await
    }
}

/// One page of the submissions in `scope` with one of `statuses`, matching
/// the query's search term on No. Pengajuan, Kode Tiket or judul, in `order`,
/// with the producer; and where the page sits in the list.
///
/// # Errors
/// On database failure.
pub async fn search_page(
    db: &DatabaseConnection,
    scope: Condition,
    statuses: &[Status],
    q: &ListQuery,
    order: &[(Column, Order)],
    per_page: u64,
) -> AppResult<(Vec<(Model, Option<organisations::Model>)>, Window)> {
    let mut query = Entity::find().find_also_related(organisations::Entity).filter(scope).filter(Column::Status.is_in(statuses.iter().copied()));
    let term = q.q.trim();
    if !term.is_empty() {
        query = query.filter(Condition::any().add(Column::Number.contains(term)).add(Column::Title.contains(term)).add(Column::TicketCode.contains(term)));
    }
    for (column, direction) in order {
        query = query.order_by(*column, direction.clone());
    }
    let window = Window::new(q.page, per_page, super::paging::count(db, &query).await?);
    let rows = query.offset(window.offset()).limit(per_page).all(db).await?;
    Ok((rows, window))
}

/// The timeline of a submission as `viewer` may see it, oldest first. The
/// admin and the producer see every row. An institution sees the
/// submission's own moves without their notes (a note may name another
/// institution's requests) and the rows of its own requests.
///
/// # Errors
/// On database failure.
pub async fn timeline(db: &DatabaseConnection, viewer: Viewer, id: i32) -> AppResult<Vec<audit_events::Model>> {
    let own = audit_events::Entity::find().filter(audit_events::Column::SubjectType.eq(SUBJECT)).filter(audit_events::Column::SubjectId.eq(id));
    let Viewer::Institution(org) = viewer else {
        return Ok(own.order_by_asc(audit_events::Column::Id).all(db).await?);
    };
    let mine: Vec<i32> = requests::Entity::find()
        .select_only()
        .column(requests::Column::Id)
        .filter(requests::Column::SubmissionId.eq(id))
        .filter(requests::Column::OrganisationId.eq(org))
        .into_tuple()
        .all(db)
        .await?;
    let mut rows: Vec<audit_events::Model> = own
        .filter(audit_events::Column::ToState.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|mut e| {
            e.note = None;
            e
        })
        .collect();
    rows.extend(
        audit_events::Entity::find()
            .filter(audit_events::Column::SubjectType.eq(super::requests::SUBJECT))
            .filter(audit_events::Column::SubjectId.is_in(mine))
            .all(db)
            .await?,
    );
    rows.sort_by_key(|e| e.id);
    Ok(rows)
}

/// View Card: one page of the imported card list as `viewer` may see it (an
/// institution: only the cards of its own requests), searchable by serial.
///
/// # Errors
/// On database failure.
pub async fn cards_page(
    db: &DatabaseConnection,
    viewer: Viewer,
    submission: i32,
    q: &str,
    page: PageNo,
    per_page: u64,
) -> AppResult<(Vec<(cards::Model, String)>, Window)> {
    let mut query = cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    if let Viewer::Institution(org) = viewer {
        query =
            query.filter(cards::Column::RequestId.in_subquery(
                Query::select().column(requests::Column::Id).from(requests::Entity).and_where(requests::Column::OrganisationId.eq(org)).to_owned(),
            ));
    }
    let term = q.trim().to_uppercase();
    if !term.is_empty() {
        query = query.filter(cards::Column::Serial.contains(&term));
    }
    let window = Window::new(page, per_page, super::paging::count(db, &query).await?);
    let rows = crate::models::paging::rows_in(db, query.order_by_asc(cards::Column::RowNo), &window).await?;
    let request_ids: BTreeSet<i32> = rows.iter().map(|c| c.request_id).collect();
    let numbers: BTreeMap<i32, String> =
        requests::Entity::find().filter(requests::Column::Id.is_in(request_ids)).all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
    let rows = rows
        .into_iter()
        .map(|c| {
            let n = numbers.get(&c.request_id).cloned().unwrap_or_default();
            (c, n)
        })
        .collect();
    Ok((rows, window))
}

/// Where the card-list Excel files are kept, beside [`FILE_AREA`].
pub const CARDS_AREA: &str = "card-lists";

/// The download name of a submission's card list.
#[must_use]
pub fn cards_download_name(s: &Model) -> String {
    uploads::download_name("Daftar-Kartu-SAM", &s.number, "xlsx")
}

/// Keeps the key of the card-list Excel just accepted for submission `id`
/// (by [`ActiveModel::submit`] or [`ActiveModel::edit`]); the file was
/// stored under `key` in [`CARDS_AREA`].
///
/// # Errors
/// On database failure.
pub async fn keep_cards_file(db: &DatabaseConnection, id: i32, key: &str) -> AppResult<()> {
    Entity::update_many().col_expr(Column::CardsFileKey, Expr::value(key)).filter(Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The card list of a submission as imported, in list order; with
/// `institution`, only the rows of that organisation's requests.
///
/// # Errors
/// On database failure.
pub async fn card_rows(db: &DatabaseConnection, submission: i32, institution: Option<i32>) -> AppResult<Vec<card_list::CardRow>> {
    let mut q = requests::Entity::find().filter(requests::Column::SubmissionId.eq(submission));
    if let Some(org) = institution {
        q = q.filter(requests::Column::OrganisationId.eq(org));
    }
    let numbers: BTreeMap<i32, String> = q.all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
    let cards = cards::Entity::find()
        .filter(cards::Column::SubmissionId.eq(submission))
        .filter(cards::Column::RequestId.is_in(numbers.keys().copied()))
        .order_by_asc(cards::Column::RowNo)
        .all(db)
        .await?;
    Ok(cards
        .into_iter()
        .map(|c| card_list::CardRow {
            row: usize::try_from(c.row_no).unwrap_or(0),
            request_number: numbers.get(&c.request_id).cloned().unwrap_or_default(),
            serial: c.serial,
            note: c.note.unwrap_or_default(),
        })
        .collect())
}
