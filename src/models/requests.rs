//! Permintaan Personalisasi: a user institution (or a regency/city registry
//! office) asks a producer for SAM cards; the producer approves or rejects.
//!
//! Status machine (DESIGN §1): `submitted → approved | rejected`, later
//! `approved → bundled → done → received`. The requester may also withdraw
//! (`submitted → withdrawn`) — DESIGN lists editing and withdrawing but no
//! state for it; `withdrawn` is terminal and keeps the record and its audit.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    prelude::Expr,
    sea_query::{Alias, ExprTrait as _},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, JoinType, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Statement,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::personalization_requests::{ActiveModel, Column, Entity, Model, Relation};
pub mod filing;
pub mod search;
pub mod tally;

use super::{
    _entities::{audit_events, machine_types, organisations, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
    paging::{PageNo, Window},
    roles::Role,
    uploads::{self},
};
pub use filing::{check_reason, check_selection, choices, search_text, CheckedLetter, Form, Letter, DECIDED_AT_ONCE};
pub use search::Search;

/// The audit subject type; the request's timeline is its audit rows.
pub const SUBJECT: &str = "permintaan";
/// Folder (under the upload dir) of request letters.
pub const FILE_AREA: &str = "requests";
pub const FILE_MAX_BYTES: usize = 3 * 1024 * 1024;
pub const QTY_MAX: i32 = 10_000;

pub use super::_entities::sea_orm_active_enums::RequestStatus as Status;

impl Status {
    pub const ALL: [Self; 8] = [Self::Submitted, Self::Approved, Self::Rejected, Self::Withdrawn, Self::Bundled, Self::InProgress, Self::Done, Self::Received];

    /// The stored value, also the list filter's and the badges' CSS key.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Bundled => "bundled",
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

    /// The seed's labels (On Progress / Approved / Rejected) and the later stages.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Submitted => "On Progress",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Withdrawn => "Ditarik",
            Self::Bundled => "Dalam Pengajuan",
            Self::InProgress => "Dalam Proses",
            Self::Done => "Selesai",
            Self::Received => "Diterima",
        }
    }

    /// Timeline percent of the request's stages: filed 0, approved 20, in a
    /// submission 40, personalizing 60, done 80, received 100.
    #[must_use]
    pub const fn percent(self) -> u8 {
        match self {
            Self::Submitted | Self::Rejected | Self::Withdrawn => 0,
            Self::Approved => 20,
            Self::Bundled => 40,
            Self::InProgress => 60,
            Self::Done => 80,
            Self::Received => 100,
        }
    }

    /// The only legal moves (DESIGN §1). The producer decides a `submitted`
    /// request, the requester may withdraw it; afterwards the request follows
    /// its submission: bundled in it, freed when the submission is rejected
    /// or removed, then in progress, done and received with it.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Submitted, Self::Approved | Self::Rejected | Self::Withdrawn)
                | (Self::Approved, Self::Bundled)
                | (Self::Bundled, Self::Approved | Self::InProgress)
                | (Self::InProgress, Self::Done)
                | (Self::Done, Self::Received)
        )
    }

    /// The audit action that records a move into `self`.
    #[must_use]
    pub const fn action(from: Self, to: Self) -> Action {
        match (from, to) {
            (Self::Bundled, Self::Approved) => Action::RequestFreed,
            (_, Self::Approved) => Action::RequestApproved,
            (_, Self::Rejected) => Action::RequestRejected,
            (_, Self::Withdrawn) => Action::RequestWithdrawn,
            (_, Self::Bundled) => Action::RequestBundled,
            (_, Self::InProgress) => Action::RequestInProgress,
            (_, Self::Done) => Action::RequestDone,
            (_, Self::Received) => Action::RequestReceived,
            (_, Self::Submitted) => Action::RequestSubmitted,
        }
    }
}

/// A move of one or more requests, and what it carries.
pub struct Move<'a> {
    pub from: Status,
    pub to: Status,
    pub actor: &'a Actor,
    /// The decision's reason, or the timeline note of a move that follows a submission.
    pub note: Option<&'a str>,
    /// The submission (id, number) a request is bundled into; required for `approved → bundled`.
    pub submission: Option<(i32, &'a str)>,
    /// Where mail links point.
    pub base_url: &'a str,
    /// Who is told of a producer's decision, read before the write began;
    /// `None`: read inside it.
    pub audiences: Option<&'a Audiences>,
}

/// Who is told of a producer's decision on a request.
pub struct Audience {
    institution: organisations::Model,
    producer: organisations::Model,
    to: Vec<String>,
    /// The decision's mail, rendered before the write turn.
    decided: Option<crate::mailers::Message>,
}

/// The [`Audience`] of each request, by request id. Read before the write
/// transaction, so that the write turn holds only the writes.
pub struct Audiences(std::collections::HashMap<i32, Audience>);

impl Audiences {
    /// # Errors
    /// On database failure; `NotFound` for an organisation gone.
    pub async fn of<C: ConnectionTrait>(db: &C, requests: &[Model]) -> AppResult<Self> {
        use std::collections::HashMap;
        // Two reads whatever the number of requests: their organisations,
        // then whom their institutions tell.
        let mut ids: Vec<i32> = requests.iter().flat_map(|r| [r.organisation_id, r.producer_id]).collect();
        ids.sort_unstable();
        ids.dedup();
        let orgs: HashMap<i32, organisations::Model> =
            organisations::Entity::find().filter(organisations::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|o| (o.id, o)).collect();
        let mut institutions: Vec<organisations::Model> = requests.iter().filter_map(|r| orgs.get(&r.organisation_id).cloned()).collect();
        institutions.sort_by_key(|o| o.id);
        institutions.dedup_by_key(|o| o.id);
        let told = recipients_of(db, &institutions).await?;
        let mut audiences = HashMap::new();
        for r in requests {
            let (Some(institution), Some(producer)) = (orgs.get(&r.organisation_id), orgs.get(&r.producer_id)) else {
                return Err(AppError::NotFound);
            };
            let to = told.get(&institution.id).cloned().unwrap_or_default();
            audiences.insert(r.id, Audience { institution: institution.clone(), producer: producer.clone(), to, decided: None });
        }
        Ok(Self(audiences))
    }

    /// Renders now the mail telling each of `requests` (still `submitted`)
    /// that it becomes `to` with `note`, so that the write turn only stores it.
    ///
    /// # Errors
    /// When a mail template fails to render.
    pub fn render_decisions(&mut self, requests: &[Model], to: Status, note: Option<&str>, base_url: &str) -> AppResult<()> {
        for r in requests {
            if let Some(audience) = self.0.get_mut(&r.id) {
                let decided = Model { status: to, decision_note: note.map(str::to_string), ..r.clone() };
                audience.decided = Some(decision_message(&decided, base_url, audience)?);
            }
        }
        Ok(())
    }
}

/// The one way a request's status changes. Checks the move against the
/// machine, updates every request in `ids` guarded by `WHERE status = from`
/// (a request that moved meanwhile makes the whole move a 409), writes one
/// audit row per request, and queues the institution's mail for the
/// producer's decision — all on `txn`, the transaction of the change.
/// Returns the moved requests and the queued mail ids.
///
/// # Errors
/// `Conflict` for an illegal move or when a request is no longer in `from`.
pub async fn transition<C: ConnectionTrait>(txn: &C, ids: &[i32], m: &Move<'_>) -> AppResult<(Vec<Model>, Vec<i32>)> {
    if !m.from.can_become(m.to) {
        return Err(AppError::Conflict(format!("Permintaan berstatus {} tidak dapat diubah menjadi {}.", m.from.label(), m.to.label())));
    }
    if ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let now = sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now());
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(m.to)).col_expr(Column::UpdatedAt, Expr::value(now));
    match (m.from, m.to) {
        (Status::Submitted, _) => {
            update = update.col_expr(Column::DecisionNote, Expr::value(m.note.map(str::to_string))).col_expr(Column::DecidedAt, Expr::value(now));
        }
        (Status::Approved, Status::Bundled) => {
            let Some((submission, _)) = m.submission else {
                return Err(AppError::Internal("approved → bundled without a submission".into()));
            };
            update = update.col_expr(Column::SubmissionId, Expr::value(submission));
        }
        (Status::Bundled, Status::Approved) => {
            update = update.col_expr(Column::SubmissionId, Expr::value(Option::<i32>::None));
        }
        _ => {}
    }
    let mut rows = update.filter(Column::Id.is_in(ids.to_vec())).filter(Column::Status.eq(m.from)).exec_with_returning(txn).await?;
    if rows.len() != ids.len() {
        return Err(AppError::Conflict("Salah satu permintaan baru saja berubah status oleh pengguna lain. Muat ulang halaman lalu coba lagi.".into()));
    }
    rows.sort_by_key(|r| r.id);
    let mut mails = Vec::new();
    for r in &rows {
        let mut event = Event::new(Status::action(m.from, m.to), SUBJECT).subject(r.id, &r.number).transition(m.from.as_str(), m.to.as_str());
        let note = match (m.note, m.submission) {
            (Some(n), _) => Some(n.to_string()),
            (None, Some((_, number))) if m.to == Status::Bundled => Some(format!("diajukan dalam pengajuan {number}")),
            _ => None,
        };
        if let Some(n) = note {
            event = event.note(n);
        }
        event.record(txn, m.actor).await?;
        if m.from == Status::Submitted && matches!(m.to, Status::Approved | Status::Rejected) {
            mails.extend(decision_mail(txn, r, m.base_url, m.audiences.and_then(|a| a.0.get(&r.id))).await?);
        }
    }
    Ok((rows, mails))
}

/// Tells the institution of `r` the producer's decision (its `audience`
/// read now when not given).
async fn decision_mail<C: ConnectionTrait>(txn: &C, r: &Model, base_url: &str, audience: Option<&Audience>) -> AppResult<Vec<i32>> {
    let read;
    let audience = match audience {
        Some(a) => a,
        None => {
            read = Audiences::of(txn, std::slice::from_ref(r)).await?;
            read.0.get(&r.id).ok_or(AppError::NotFound)?
        }
    };
    match &audience.decided {
        Some(message) => super::mail_outbox::enqueue(txn, &audience.to, message).await,
        None => super::mail_outbox::enqueue(txn, &audience.to, &decision_message(r, base_url, audience)?).await,
    }
}

/// The mail telling the institution of `r` (as decided) the producer's decision.
fn decision_message(r: &Model, base_url: &str, audience: &Audience) -> AppResult<crate::mailers::Message> {
    let (institution, producer) = (&audience.institution, &audience.producer);
    Ok(crate::mailers::requests::Decided {
        approved: r.status == Status::Approved,
        producer: &producer.name,
        institution: &institution.name,
        number: &r.number,
        title: &r.title,
        quantity: crate::locale::group_thousands(u64::try_from(r.quantity).unwrap_or(0)),
        reason: r.decision_note.as_deref().unwrap_or_default(),
        url: crate::mailers::link(base_url, &format!("/permintaan/{}", r.id)),
    }
    .message()?)
}

/// Who looks at requests, and which ones they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Its own organisation's requests; may create, edit and withdraw.
    Requester(i32),
    /// Requests addressed to it; may approve or reject.
    Producer(i32),
    /// Everything, read-only.
    Admin,
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
            (Some(Role::Lembaga | Role::DukcapilKota), Some(org)) => Self::Requester(org),
            (Some(Role::Produsen), Some(org)) => Self::Producer(org),
            _ => Self::Nobody,
        }
    }

    fn condition(self) -> Condition {
        match self {
            Self::Requester(org) => Condition::all().add(Column::OrganisationId.eq(org)),
            Self::Producer(org) => Condition::all().add(Column::ProducerId.eq(org)),
            Self::Admin => Condition::all(),
            Self::Nobody => Condition::all().add(Expr::val(1).eq(0)),
        }
    }

    /// The same scope written so that no index serves it (`col + 0 = org`).
    fn condition_unindexed(self) -> Condition {
        let off_index = |c: Column| Expr::col((Entity, c)).add(0);
        match self {
            Self::Requester(org) => Condition::all().add(off_index(Column::OrganisationId).eq(org)),
            Self::Producer(org) => Condition::all().add(off_index(Column::ProducerId).eq(org)),
            other => other.condition(),
        }
    }
}

impl Model {
    #[must_use]
    pub const fn status(&self) -> Status {
        self.status
    }

    /// The download name: `Permintaan-<no>.<ext>`, the number made safe.
    #[must_use]
    pub fn download_name(&self) -> String {
        uploads::download_name("Permintaan", &self.number, &self.file_kind)
    }

    /// A request the viewer may see, or `NotFound` — scoped in the query.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or is outside the viewer's scope.
    pub async fn find_for<C: ConnectionTrait>(db: &C, viewer: Viewer, id: i32) -> AppResult<Self> {
        Entity::find_by_id(id).filter(viewer.condition()).one(db).await?.ok_or(AppError::NotFound)
    }

    /// The requests `ids`, in that order (each once), in one read.
    ///
    /// # Errors
    /// `NotFound` when any of them does not exist or is outside the viewer's scope.
    pub async fn find_all_for<C: ConnectionTrait>(db: &C, viewer: Viewer, ids: &[i32]) -> AppResult<Vec<Self>> {
        let mut found: std::collections::HashMap<i32, Self> =
            Entity::find().filter(Column::Id.is_in(ids.iter().copied())).filter(viewer.condition()).all(db).await?.into_iter().map(|m| (m.id, m)).collect();
        let mut seen = std::collections::HashSet::new();
        ids.iter().filter(|id| seen.insert(**id)).map(|id| found.remove(id).ok_or(AppError::NotFound)).collect()
    }
}

/// A request with the names the pages show.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub request: Model,
    pub institution: organisations::Model,
    pub producer: organisations::Model,
    pub machine_type: String,
    pub timeline: Vec<audit_events::Model>,
    /// The submission carrying the request, once a producer bundled it.
    pub submission: Option<super::_entities::submissions::Model>,
}

impl Detail {
    /// # Errors
    /// `NotFound` outside the viewer's scope.
    pub async fn load(db: &DatabaseConnection, viewer: Viewer, id: i32) -> AppResult<Self> {
        let request = Model::find_for(db, viewer, id).await?;
        let institution = organisations::Entity::find_by_id(request.organisation_id).one(db).await?.ok_or(AppError::NotFound)?;
        let producer = organisations::Entity::find_by_id(request.producer_id).one(db).await?.ok_or(AppError::NotFound)?;
        let machine_type = machine_types::Entity::find_by_id(request.machine_type_id).one(db).await?.map(|m| m.name).unwrap_or_default();
        let timeline = audit_events::Entity::find()
            .filter(audit_events::Column::SubjectType.eq(SUBJECT))
            .filter(audit_events::Column::SubjectId.eq(request.id))
            .order_by_asc(audit_events::Column::Id)
            .all(db)
            .await?;
        let submission = match request.submission_id {
            Some(id) => super::_entities::submissions::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        // The submission's own moves concern every request in it; their
        // notes may name other institutions' requests, so they are left out.
        let mut timeline = timeline;
        if let Some(s) = &submission {
            let moves = audit_events::Entity::find()
                .filter(audit_events::Column::SubjectType.eq(super::submissions::SUBJECT))
                .filter(audit_events::Column::SubjectId.eq(s.id))
                .filter(audit_events::Column::ToState.is_not_null())
                .filter(audit_events::Column::ToState.ne(""))
                .all(db)
                .await?;
            timeline.extend(moves.into_iter().map(|mut e| {
                e.note = None;
                e
            }));
            timeline.sort_by_key(|e| (e.created_at, e.id));
        }
        Ok(Self { request, institution, producer, machine_type, timeline, submission })
    }
}

/// One row of the tables.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Row {
    pub id: i32,
    pub number: String,
    pub title: String,
    pub request_date: NaiveDate,
    pub quantity: i32,
    pub status: Status,
    pub file_kind: String,
    pub institution: String,
    pub producer: String,
}

/// The list's query string: status filter, search, sort and page.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListQuery {
    /// `progress`, `approved` (and every later stage), `rejected`, a single
    /// later stage (`bundled`, `in_progress`, `done`, `received`) or empty for all.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    /// `asc` for oldest first; newest first otherwise.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: PageNo,
}

impl ListQuery {
    /// One page of rows and where it sits in the list ("Menampilkan 1–20
    /// dari 350 data"). The count runs without the name joins. The page's
    /// ids are found on the list's index alone, walking from the nearest of
    /// its start, its end or a page start met before ([`MARKS`]); then only
    /// the page's own rows are read and joined to their names.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page(&self, db: &DatabaseConnection, viewer: Viewer, per_page: u64) -> AppResult<(Vec<Row>, Window)> {
        let search = Search::plan(db, &self.q).await?;
        let filtered = self.filtered(Entity::find(), viewer, &search);
        let newest_first = self.sort != "asc";
        let (on_page, window, marks_key) = if search.narrowed() {
            let (on_page, window) = self.narrowed_page(db, filtered, per_page, newest_first).await?;
            (on_page, window, None)
        } else {
            // Without a search term the total is the viewer's tally.
            let statuses = self.statuses();
            let total = match search.condition() {
                None => tally::count(db, viewer, &statuses).await?,
                Some(_) => super::paging::count(db, &filtered).await?,
            };
            let key = format!("{:x} requests {viewer:?} {statuses:?} {newest_first} {}", super::paging::database_of(db), self.q);
            let unfiltered = statuses.is_empty() && search.condition().is_none();
            let (on_page, window) = self.walked_page(filtered, &key, (db.get_database_backend(), unfiltered), total, per_page, newest_first);
            (on_page, window, Some(key))
        };
        // The page's rows are put in order here: an ORDER BY would tempt
        // SQLite to walk a whole index in that order, probing each entry.
        let mut rows = Self::named(db, on_page).await?;
        rows.sort_by(|a, b| {
            let order = (a.request_date, a.id).cmp(&(b.request_date, b.id));
            if newest_first {
                order.reverse()
            } else {
                order
            }
        });
        if let (Some(key), Some(first)) = (marks_key, rows.first()) {
            if window.offset() >= per_page * MARK_FROM_PAGE {
                MARKS.note(&key, window.offset(), (first.request_date, first.id));
            }
        }
        Ok((rows, window))
    }

    /// Which rows are "on the page" of a list of `total` rows walked on its
    /// index: from its start, its end or a page start met before ([`MARKS`],
    /// under `marks_key`), whichever is nearest. `unfiltered`: the list is
    /// the viewer's whole scope (no status filter, no search).
    fn walked_page(
        &self,
        filtered: sea_orm::Select<Entity>,
        marks_key: &str,
        (backend, unfiltered): (DbBackend, bool),
        total: u64,
        per_page: u64,
        newest_first: bool,
    ) -> (OnPage, Window) {
        let window = Window::new(self.page, per_page, total);
        let offset = window.offset();
        let shown = window.last_row().saturating_sub(offset);
        let mark = MARKS.below(marks_key, offset);
        let from_end = total - window.last_row();
        let from_mark = mark.as_ref().map_or(offset, |(at, _)| offset - at);
        let (ids, skip) = if from_end < std::cmp::min(from_mark, offset) {
            (self.ordered(filtered, !newest_first), from_end)
        } else if let Some((at, (date, id))) = mark.filter(|_| from_mark < offset) {
            let key = Expr::tuple([Expr::col((Entity, Column::RequestDate)), Expr::col((Entity, Column::Id))]);
            let start = Expr::tuple([Expr::val(date), Expr::val(id)]);
            let from_start = if newest_first { key.lte(start) } else { key.gte(start) };
            (self.ordered(filtered.filter(from_start), newest_first), offset - at)
        } else {
            (self.ordered(filtered, newest_first), offset)
        };
        let ids = ids.select_only().column(Column::Id).into_query();
        let table = sea_orm::EntityName::table_name(&Entity);
        // PostgreSQL reads a short walk of an unfiltered list straight from
        // the table in the index's order: each row is visited once, where
        // the ids' index-only walk checks every recent (not yet vacuumed)
        // row in the table and then looks it up again by id (measured with
        // pgbench, 2 clients on 2 cores: 11,000 → 13,700 pages/s, the
        // same rows). A filter on a column
        // the walk does not narrow (status, search) stays in the ids' walk,
        // which checks it on the index alone; so does SQLite, whose planner
        // would walk the whole index for the ORDER BY.
        let straight = backend == DbBackend::Postgres && unfiltered && skip <= per_page;
        let page = straight.then(|| super::paging::ordered_window(backend, table, &ids, shown, skip)).flatten().unwrap_or_else(|| {
            let (condition, values) = super::paging::in_window(backend, table, sea_orm::IdenStatic::as_str(&Column::Id), &ids, shown, skip);
            (format!("WHERE {condition}"), values)
        });
        (page, window)
    }

    /// The ids of the page of a list narrowed by the trigram index: the few
    /// matching rows are read with their date and put in order here.
    async fn narrowed_page(
        &self,
        db: &DatabaseConnection,
        filtered: sea_orm::Select<Entity>,
        per_page: u64,
        newest_first: bool,
    ) -> AppResult<(OnPage, Window)> {
        let mut keys: Vec<(NaiveDate, i32)> = filtered.select_only().column(Column::RequestDate).column(Column::Id).into_tuple().all(db).await?;
        keys.sort_unstable();
        if newest_first {
            keys.reverse();
        }
        let window = Window::new(self.page, per_page, keys.len() as u64);
        let page: Vec<String> = keys
            .iter()
            .skip(usize::try_from(window.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(per_page).unwrap_or(0))
            .map(|k| k.1.to_string())
            .collect();
        // Ids are numbers: written into the SQL, they cannot carry any.
        let on_page = if page.is_empty() { "WHERE 1 = 0".to_string() } else { format!("WHERE \"personalization_requests\".\"id\" IN ({})", page.join(", ")) };
        Ok(((on_page, Vec::new()), window))
    }

    /// The rows on a page (`on_page`) with their organisations' names. The
    /// statement's fixed part is built by [`Self::with_names`] once per
    /// engine: building it anew cost more than the query took PostgreSQL.
    async fn named(db: &DatabaseConnection, (on_page, values): OnPage) -> AppResult<Vec<Row>> {
        static NAMED: std::sync::LazyLock<[String; 2]> =
            std::sync::LazyLock::new(|| [DbBackend::Postgres, DbBackend::Sqlite].map(|b| ListQuery::with_names().build(b).sql));
        let backend = db.get_database_backend();
        let named = &NAMED[usize::from(backend != DbBackend::Postgres)];
        let statement = Statement::from_sql_and_values(backend, format!("{named} {on_page}"), values);
        Ok(Row::find_by_statement(statement).all(db).await?)
    }

    /// The list's SELECT (without paging), e.g. to explain its plan.
    ///
    /// # Errors
    /// On database failure.
    pub async fn select(&self, db: &DatabaseConnection, viewer: Viewer) -> AppResult<sea_orm::Select<Entity>> {
        let search = Search::plan(db, &self.q).await?;
        Ok(self.ordered(self.filtered(Self::with_names(), viewer, &search), self.sort != "asc"))
    }

    /// A row's columns and its two organisations' names.
    fn with_names() -> sea_orm::Select<Entity> {
        let inst = Alias::new("inst");
        let prod = Alias::new("prod");
        Entity::find()
            .select_only()
            .columns([Column::Id, Column::Number, Column::Title, Column::RequestDate, Column::Quantity, Column::Status, Column::FileKind])
            .column_as(Expr::col((inst.clone(), organisations::Column::Name)), "institution")
            .column_as(Expr::col((prod.clone(), organisations::Column::Name)), "producer")
            .join_as(JoinType::InnerJoin, Relation::Organisation.def(), inst)
            .join_as(JoinType::InnerJoin, Relation::Producer.def(), prod)
    }

    /// The list's order, the key of its indexes: request date, then id.
    fn ordered(&self, q: sea_orm::Select<Entity>, newest_first: bool) -> sea_orm::Select<Entity> {
        let order = if newest_first { Order::Desc } else { Order::Asc };
        q.order_by(Column::RequestDate, order.clone()).order_by(Column::Id, order)
    }

    /// The statuses the filter asks for (none: all).
    fn statuses(&self) -> Vec<Status> {
        match self.status.as_str() {
            "progress" => vec![Status::Submitted],
            "approved" => vec![Status::Approved, Status::Bundled, Status::InProgress, Status::Done, Status::Received],
            "rejected" => vec![Status::Rejected],
            other => Status::parse(other).into_iter().collect(),
        }
    }

    /// `q` limited to the viewer's scope, the status filter and the search.
    fn filtered(&self, mut q: sea_orm::Select<Entity>, viewer: Viewer, search: &Search) -> sea_orm::Select<Entity> {
        // Found through the trigram index, the few matching rows are then
        // checked for scope and sorted; SQLite must not walk the scope's
        // index instead (it would, to avoid the sort).
        q = q.filter(if search.narrowed() { viewer.condition_unindexed() } else { viewer.condition() });
        let statuses = self.statuses();
        if !statuses.is_empty() {
            q = q.filter(Column::Status.is_in(statuses));
        }
        match search.condition() {
            Some(c) => q.filter(c),
            None => q,
        }
    }
}

/// Which `personalization_requests` rows a page shows, in SQL (a WHERE
/// clause, possibly with its ORDER BY, LIMIT and OFFSET) to follow their
/// SELECT, with the values its placeholders take.
type OnPage = (String, Vec<sea_orm::Value>);

/// Where pages of the request lists start (request date and id of their
/// first row), noted from this page on.
const MARK_FROM_PAGE: u64 = 10;
static MARKS: super::paging::Marks<(NaiveDate, i32)> = super::paging::Marks::new();

pub use super::Env;

/// Active accounts of an organisation (plus its contact email): who is told.
///
/// # Errors
/// On database failure.
pub async fn recipients<C: ConnectionTrait>(db: &C, org: &organisations::Model) -> AppResult<Vec<String>> {
    Ok(recipients_of(db, std::slice::from_ref(org)).await?.remove(&org.id).unwrap_or_default())
}

/// [`recipients`] of each of `orgs` (each listed once), by organisation id, in one read.
///
/// # Errors
/// On database failure.
pub async fn recipients_of<C: ConnectionTrait>(db: &C, orgs: &[organisations::Model]) -> AppResult<std::collections::HashMap<i32, Vec<String>>> {
    let mut told: std::collections::HashMap<i32, Vec<String>> = orgs.iter().map(|o| (o.id, Vec::new())).collect();
    let accounts = users::Entity::find()
        .filter(users::Column::OrganisationId.is_in(orgs.iter().map(|o| o.id)))
        .filter(users::Column::Status.eq(super::users::Status::Active))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?;
    for u in accounts {
        if let Some(to) = u.organisation_id.and_then(|org| told.get_mut(&org)) {
            to.push(u.email);
        }
    }
    for o in orgs {
        if let (Some(to), Some(email)) = (told.get_mut(&o.id), &o.email) {
            to.push(email.clone());
        }
    }
    Ok(told)
}
