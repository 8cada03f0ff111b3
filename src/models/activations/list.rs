//! Permohonan Aktivasi as each role may see them: the admin all, an
//! institution (lembaga, dukcapil kota) those for its readers, a producer
//! those it filed. The scope is in the query; a record outside it is "not
//! found", and the search never reaches past it.
use std::collections::HashMap;

use sea_orm::{
    prelude::Expr,
    sea_query::{ExprTrait as _, Func, LikeExpr, Query, SimpleExpr},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};

use super::{ReaderStatus, RequestStatus};
use crate::models::{
    _entities::{activation_readers as readers, activation_requests as requests, audit_events, organisations, users},
    errors::{AppError, AppResult},
    paging::{PageNo, Window},
    roles::Role,
};

/// Whose requests a user sees.
fn scope(user: &users::Model) -> Option<Condition> {
    let org = user.organisation_id?;
    match user.role() {
        Role::Admin => Some(Condition::all()),
        Role::Lembaga | Role::DukcapilKota => Some(Condition::all().add(requests::Column::InstitutionId.eq(org))),
        Role::Produsen => Some(Condition::all().add(requests::Column::ApplicantId.eq(org))),
        _ => None,
    }
}

/// Longest search term used (longer input is cut, on a character boundary).
pub const MAX_TERM: usize = 100;

/// `?status=&reader=&q=&sort=&page=` of the list as typed; only
/// [`ActivationQuery::parse`] reads it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ActivationQuery {
    #[serde(default)]
    pub status: String,
    /// Only requests with a reader in this status (the dashboard's "Card
    /// reader aktif" lands on `active`).
    #[serde(default)]
    pub reader: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: PageNo,
}

/// The list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest filing first (the default).
    Newest,
    Oldest,
    /// By letter number, A to Z.
    Letter,
}

impl Sort {
    pub const ALL: [Self; 3] = [Self::Newest, Self::Oldest, Self::Letter];

    /// The query-string value.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Newest => "",
            Self::Oldest => "asc",
            Self::Letter => "nomor",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Newest => "Terbaru diajukan dahulu",
            Self::Oldest => "Terlama diajukan dahulu",
            Self::Letter => "No. Surat (A–Z)",
        }
    }

    /// Anything unknown is the default order.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        Self::ALL.into_iter().find(|x| !x.code().is_empty() && x.code() == s.trim()).unwrap_or(Self::Newest)
    }
}

/// The list's query parsed: every value bounded, an unknown one ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub status: Option<RequestStatus>,
    pub reader: Option<ReaderStatus>,
    /// Trimmed, lower-cased, without control characters, at most
    /// [`MAX_TERM`] characters; `None` when empty.
    pub term: Option<String>,
    pub sort: Sort,
    pub page: PageNo,
}

/// One row of the list.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: i32,
    pub letter_number: String,
    pub letter_date: String,
    pub institution: String,
    pub readers: i64,
    /// Its readers in the list's reader filter, when there is one.
    pub in_status: Option<i64>,
    pub status: String,
    pub status_label: &'static str,
    pub reply_number: Option<String>,
}

/// One page of the list.
#[derive(Debug)]
pub struct Page {
    pub rows: Vec<Row>,
    pub window: Window,
    /// With a reader filter: how many readers of the whole list (every
    /// page) are in that status — the dashboard's count.
    pub readers_in_status: Option<u64>,
}

impl ActivationQuery {
    #[must_use]
    pub fn parse(&self) -> Asked {
        // Control characters (a NUL byte PostgreSQL refuses) are never in a number or name.
        let term: String = self.q.trim().to_lowercase().chars().filter(|c| !c.is_control()).take(MAX_TERM).collect();
        let term = term.trim_end().to_string();
        Asked {
            status: RequestStatus::parse(self.status.trim()),
            reader: ReaderStatus::parse(self.reader.trim()),
            term: (!term.is_empty()).then_some(term),
            sort: Sort::parse(&self.sort),
            page: self.page,
        }
    }
}

/// `LOWER(col) LIKE '%term%'`, the term's wildcards escaped: the same
/// case-insensitive substring on SQLite and PostgreSQL.
fn contains(col: impl Into<SimpleExpr>, term: &str) -> SimpleExpr {
    let pattern = format!("%{}%", term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    SimpleExpr::from(Func::lower(col.into())).like(LikeExpr::new(pattern).escape('\\'))
}

/// Requests whose letter number, reply number, institution name, or one
/// of whose readers' S/N or SAM serial holds `term`. The subqueries are
/// tied to the request row, so they never reach outside the list's scope.
fn search(term: &str) -> Condition {
    let institution = Query::select()
        .expr(Expr::val(1))
        .from(organisations::Entity)
        .and_where(Expr::col((organisations::Entity, organisations::Column::Id)).equals((requests::Entity, requests::Column::InstitutionId)))
        .and_where(contains(Expr::col((organisations::Entity, organisations::Column::Name)), term))
        .to_owned();
    let reader = Query::select()
        .expr(Expr::val(1))
        .from(readers::Entity)
        .and_where(Expr::col((readers::Entity, readers::Column::RequestId)).equals((requests::Entity, requests::Column::Id)))
        .cond_where(
            Condition::any()
                .add(contains(Expr::col((readers::Entity, readers::Column::ReaderSerial)), term))
                .add(contains(Expr::col((readers::Entity, readers::Column::SamSerial)), term)),
        )
        .to_owned();
    Condition::any()
        .add(contains(Expr::col((requests::Entity, requests::Column::LetterNumber)), term))
        .add(contains(Expr::col((requests::Entity, requests::Column::ReplyNumber)), term))
        .add(Expr::exists(institution))
        .add(Expr::exists(reader))
}

impl Asked {
    /// The user's requests that match, unordered.
    fn filtered(&self, scope: Condition) -> Select<requests::Entity> {
        let mut q = requests::Entity::find().filter(scope);
        if let Some(status) = self.status {
            q = q.filter(requests::Column::Status.eq(status.as_str()));
        }
        if let Some(reader) = self.reader {
            let with = Query::select()
                .expr(Expr::val(1))
                .from(readers::Entity)
                .and_where(Expr::col((readers::Entity, readers::Column::RequestId)).equals((requests::Entity, requests::Column::Id)))
                .and_where(Expr::col((readers::Entity, readers::Column::Status)).eq(reader.as_str()))
                .to_owned();
            q = q.filter(Expr::exists(with));
        }
        if let Some(term) = &self.term {
            q = q.filter(search(term));
        }
        q
    }

    /// One page of the user's requests in the asked order.
    ///
    /// # Errors
    /// `NotFound` for a role without the list.
    pub async fn page(&self, db: &DatabaseConnection, user: &users::Model, per_page: u64) -> AppResult<Page> {
        let scope = scope(user).ok_or(AppError::NotFound)?;
        let q = self.filtered(scope);
        let window = Window::new(self.page, per_page, crate::models::paging::count(db, &q).await?);
        let readers_in_status = match self.reader {
            Some(status) => {
                let ids = q.clone().select_only().column(requests::Column::Id).into_query();
                let of_list = readers::Entity::find().filter(readers::Column::Status.eq(status.as_str())).filter(readers::Column::RequestId.in_subquery(ids));
                Some(crate::models::paging::count(db, &of_list).await?)
            }
            None => None,
        };
        let ordered = match self.sort {
            Sort::Newest => q.order_by_desc(requests::Column::CreatedAt).order_by_desc(requests::Column::Id),
            Sort::Oldest => q.order_by_asc(requests::Column::CreatedAt).order_by_asc(requests::Column::Id),
            Sort::Letter => q.order_by_asc(requests::Column::LetterNumber).order_by_asc(requests::Column::Id),
        };
        let found = crate::models::paging::rows_in(db, ordered, &window).await?;
        // The page's institutions and reader counts in two queries, not two per row.
        let ids: Vec<i32> = found.iter().map(|r| r.id).collect();
        let mut counts: HashMap<i32, (i64, i64)> = HashMap::new();
        for (request, status, n) in readers::Entity::find()
            .select_only()
            .column(readers::Column::RequestId)
            .column(readers::Column::Status)
            .column_as(readers::Column::Id.count(), "n")
            .filter(readers::Column::RequestId.is_in(ids))
            .group_by(readers::Column::RequestId)
            .group_by(readers::Column::Status)
            .into_tuple::<(i32, String, i64)>()
            .all(db)
            .await?
        {
            let slot = counts.entry(request).or_default();
            slot.0 += n;
            if self.reader.is_some_and(|r| r.as_str() == status) {
                slot.1 += n;
            }
        }
        let names: HashMap<i32, String> = organisations::Entity::find()
            .filter(organisations::Column::Id.is_in(found.iter().map(|r| r.institution_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let rows = found
            .into_iter()
            .map(|r| {
                let (readers, in_status) = counts.get(&r.id).copied().unwrap_or_default();
                Row {
                    id: r.id,
                    letter_number: r.letter_number,
                    letter_date: crate::locale::date(r.letter_date),
                    institution: names.get(&r.institution_id).cloned().unwrap_or_default(),
                    readers,
                    in_status: self.reader.map(|_| in_status),
                    status_label: RequestStatus::parse(&r.status).unwrap_or(RequestStatus::New).label(),
                    status: r.status,
                    reply_number: r.reply_number,
                }
            })
            .collect();
        Ok(Page { rows, window, readers_in_status })
    }
}

/// A request in the user's scope, with its readers.
///
/// # Errors
/// `NotFound` outside the scope.
pub async fn find_for<C: ConnectionTrait>(db: &C, user: &users::Model, id: i32) -> AppResult<(requests::Model, Vec<readers::Model>)> {
    let scope = scope(user).ok_or(AppError::NotFound)?;
    let r = requests::Entity::find_by_id(id).filter(scope).one(db).await?.ok_or(AppError::NotFound)?;
    let lines = readers::Entity::find().filter(readers::Column::RequestId.eq(id)).order_by_asc(readers::Column::RowNo).all(db).await?;
    Ok((r, lines))
}

/// The request's timeline, oldest first: its own audit rows (filing,
/// changes, the decision, its documents) and those of its readers
/// (revocations). Call it only with a request from [`find_for`].
///
/// # Errors
/// On database failure.
pub async fn timeline<C: ConnectionTrait>(db: &C, r: &requests::Model, lines: &[readers::Model]) -> AppResult<Vec<audit_events::Model>> {
    let own = Condition::all().add(audit_events::Column::SubjectType.eq(super::SUBJECT)).add(audit_events::Column::SubjectId.eq(r.id));
    let of_readers = Condition::all()
        .add(audit_events::Column::SubjectType.eq(super::READER_SUBJECT))
        .add(audit_events::Column::SubjectId.is_in(lines.iter().map(|l| l.id).collect::<Vec<_>>()));
    Ok(audit_events::Entity::find().filter(Condition::any().add(own).add(of_readers)).order_by_asc(audit_events::Column::Id).all(db).await?)
}

/// A reader in the user's scope (through its request).
///
/// # Errors
/// `NotFound` outside the scope.
pub async fn reader_for<C: ConnectionTrait>(db: &C, user: &users::Model, reader_id: i32) -> AppResult<readers::Model> {
    let reader = readers::Entity::find_by_id(reader_id).one(db).await?.ok_or(AppError::NotFound)?;
    find_for(db, user, reader.request_id).await?;
    Ok(reader)
}

/// Institutions `user` may file for: itself (institution), or those it
/// handed SAM cards over to (producer).
///
/// # Errors
/// On database failure.
pub async fn institutions_for(db: &DatabaseConnection, user: &users::Model) -> AppResult<Vec<organisations::Model>> {
    let Some(org) = user.organisation_id else { return Ok(Vec::new()) };
    match user.role() {
        Role::Lembaga | Role::DukcapilKota => Ok(organisations::Entity::find_by_id(org).all(db).await?),
        Role::Produsen => {
            use crate::models::_entities::personalization_requests as pr;
            let ids: Vec<i32> = pr::Entity::find()
                .select_only()
                .column(pr::Column::OrganisationId)
                .distinct()
                .filter(pr::Column::ProducerId.eq(org))
                .filter(pr::Column::Status.eq(crate::models::requests::Status::Received))
                .into_tuple()
                .all(db)
                .await?;
            Ok(organisations::Entity::find().filter(organisations::Column::Id.is_in(ids)).order_by_asc(organisations::Column::Name).all(db).await?)
        }
        _ => Ok(Vec::new()),
    }
}
