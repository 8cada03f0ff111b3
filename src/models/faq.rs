//! Frequent Asked Question: the admin writes, orders, shows/hides and
//! deletes entries; everyone signed in reads the shown ones, searchable,
//! in the admin's order. Answers are Markdown, made safe when rendered
//! (`faq/markdown.rs`). Every change writes its audit row in its transaction.
pub mod markdown;

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait as _, Func, LikeExpr},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::faq_entries::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::users,
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    master_data::check_len,
    paging::{PageNo, Window},
    roles::Role,
};

/// Audit subject type of an entry.
pub const SUBJECT: &str = "faq";
pub const QUESTION_MAX: usize = 300;
pub const ANSWER_MAX: usize = 10_000;
/// A search term is cut to this many characters: enough for any question,
/// and a 10 kB `?q=` costs no more than a short one.
pub const SEARCH_MAX: usize = 100;
/// Above this many bytes of Markdown a page renders on the blocking pool,
/// not on the thread that serves requests.
const RENDER_INLINE_MAX: usize = 32 * 1024;

/// Who reads the list: the admin sees hidden entries too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Admin,
    Everyone,
}

impl Reader {
    #[must_use]
    pub fn of(user: &users::Model) -> Self {
        if user.role() == Role::Admin {
            Self::Admin
        } else {
            Self::Everyone
        }
    }
}

/// `?q=`: trimmed to at most [`SEARCH_MAX`] characters; empty is no search.
/// It matches regardless of letter case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SearchTerm(String);

impl SearchTerm {
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        Self(raw.trim().chars().take(SEARCH_MAX).collect::<String>().trim().to_string())
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `%term%` with the LIKE wildcards of the term itself escaped by `\`.
    fn pattern(&self) -> LikeExpr {
        let escaped = self.0.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        LikeExpr::new(format!("%{escaped}%")).escape('\\')
    }
}

impl<'de> Deserialize<'de> for SearchTerm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d).unwrap_or_default()))
    }
}

/// The list page's query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: SearchTerm,
    #[serde(default)]
    pub page: PageNo,
}

/// One entry as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub id: i32,
    pub question: String,
    /// Safe HTML (see [`markdown`]).
    pub answer_html: String,
    pub active: bool,
    /// First/last of the whole list: no "up"/"down" button there.
    pub first: bool,
    pub last: bool,
}

fn visible(reader: Reader) -> sea_orm::Select<Entity> {
    let q = Entity::find();
    match reader {
        Reader::Admin => q,
        Reader::Everyone => q.filter(Column::Active.eq(true)),
    }
}

fn in_order(q: sea_orm::Select<Entity>) -> sea_orm::Select<Entity> {
    q.order_by_asc(Column::Position).order_by_asc(Column::Id)
}

/// One page of the entries `reader` may see that match `query`, in order,
/// with their answers rendered.
///
/// # Errors
/// On database failure.
pub async fn page(db: &DatabaseConnection, reader: Reader, query: &ListQuery, per_page: u64) -> AppResult<(Vec<Shown>, Window)> {
    let mut q = visible(reader);
    if !query.q.is_empty() {
        let pattern = query.q.pattern();
        q = q.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(Column::Question))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(Column::Answer))).like(pattern)),
        );
    }
    let window = Window::new(query.page, per_page, super::paging::count(db, &q).await?);
    let rows = crate::models::paging::rows_in(db, in_order(q), &window).await?;
    let ends = ends(db, reader).await?;
    Ok((render_all(rows, ends).await?, window))
}

/// Ids of the first and last entry `reader` sees (for the move buttons).
async fn ends(db: &DatabaseConnection, reader: Reader) -> AppResult<(Option<i32>, Option<i32>)> {
    let first = in_order(visible(reader)).select_only().column(Column::Id).into_tuple::<i32>().one(db).await?;
    let last = visible(reader).order_by_desc(Column::Position).order_by_desc(Column::Id).select_only().column(Column::Id).into_tuple::<i32>().one(db).await?;
    Ok((first, last))
}

async fn render_all(rows: Vec<Model>, (first, last): (Option<i32>, Option<i32>)) -> AppResult<Vec<Shown>> {
    let size: usize = rows.iter().map(|m| m.answer.len()).sum();
    let shown = move || {
        rows.into_iter()
            .map(|m| Shown {
                answer_html: markdown::render(&m.answer),
                first: Some(m.id) == first,
                last: Some(m.id) == last,
                id: m.id,
                question: m.question,
                active: m.active,
            })
            .collect::<Vec<_>>()
    };
    // Rendering is linear and quick; only a large page leaves this thread.
    if size <= RENDER_INLINE_MAX {
        return Ok(shown());
    }
    crate::models::heavy::run(shown).await.map_err(|e| AppError::Internal(e.to_string()))
}

/// # Errors
/// `NotFound` when there is no such entry.
pub async fn find(db: &DatabaseConnection, id: i32) -> AppResult<Model> {
    Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

/// The label an audit row keeps of an entry: its question, cut to the column's 200 characters.
fn label(question: &str) -> String {
    question.chars().take(200).collect()
}

/// What the entry form sends.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub answer: String,
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self { question: m.question.clone(), answer: m.answer.clone() }
    }

    /// # Errors
    /// `Invalid` with a message per field when the question (≤ 300
    /// characters) or the answer (≤ 10,000 characters) is missing or too long.
    pub fn check(&self) -> AppResult<()> {
        let mut e = FieldErrors::new();
        check_len(&mut e, "question", "Pertanyaan", &self.question, 1, QUESTION_MAX);
        check_len(&mut e, "answer", "Jawaban", &self.answer, 1, ANSWER_MAX);
        e.into_result()
    }

    /// A new entry goes to the end of the list, shown at once.
    ///
    /// # Errors
    /// `Invalid` for a bad form; database failures.
    pub async fn create(&self, db: &DatabaseConnection, admin: &users::Model, ip: &str) -> AppResult<Model> {
        self.check()?;
        let txn = super::begin_write(db).await?;
        let last: Option<i32> = Entity::find().select_only().column_as(Column::Position.max(), "max").into_tuple::<Option<i32>>().one(&txn).await?.flatten();
        let now = Utc::now();
        let saved = ActiveModel {
            question: Set(self.question.trim().to_string()),
            answer: Set(self.answer.trim().to_string()),
            position: Set(last.unwrap_or(0).saturating_add(1)),
            active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Event::new(Action::FaqCreated, SUBJECT).subject(saved.id, label(&saved.question)).record(&txn, &Actor::user(admin, ip)).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// # Errors
    /// `Invalid` for a bad form, `NotFound` for an unknown id.
    pub async fn update(&self, db: &DatabaseConnection, admin: &users::Model, id: i32, ip: &str) -> AppResult<Model> {
        self.check()?;
        let txn = super::begin_write(db).await?;
        let entry = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let mut model: ActiveModel = entry.into();
        model.question = Set(self.question.trim().to_string());
        model.answer = Set(self.answer.trim().to_string());
        model.updated_at = Set(Utc::now().into());
        let saved = model.update(&txn).await?;
        Event::new(Action::FaqUpdated, SUBJECT).subject(saved.id, label(&saved.question)).record(&txn, &Actor::user(admin, ip)).await?;
        txn.commit().await?;
        Ok(saved)
    }
}

/// Which way an entry moves in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Swaps the entry with its neighbour above or below (hidden entries
/// count: the order is one list). At the top or bottom nothing changes.
///
/// # Errors
/// `NotFound` for an unknown id.
pub async fn shift(db: &DatabaseConnection, admin: &users::Model, id: i32, direction: Direction, ip: &str) -> AppResult<()> {
    let txn = super::begin_write(db).await?;
    let entry = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let p = entry.position;
    let neighbour = match direction {
        Direction::Up => {
            let cond = Condition::any().add(Column::Position.lt(p)).add(Condition::all().add(Column::Position.eq(p)).add(Column::Id.lt(id)));
            Entity::find().filter(cond).order_by_desc(Column::Position).order_by_desc(Column::Id).one(&txn).await?
        }
        Direction::Down => {
            let cond = Condition::any().add(Column::Position.gt(p)).add(Condition::all().add(Column::Position.eq(p)).add(Column::Id.gt(id)));
            Entity::find().filter(cond).order_by_asc(Column::Position).order_by_asc(Column::Id).one(&txn).await?
        }
    };
    let Some(neighbour) = neighbour else {
        return Ok(());
    };
    // Equal positions (two admins adding at once on PostgreSQL) are
    // separated here, so a swap always changes the order.
    let (mine, theirs) = if neighbour.position == p {
        match direction {
            Direction::Up => (p, p.saturating_add(1)),
            Direction::Down => (p.saturating_add(1), p),
        }
    } else {
        (neighbour.position, p)
    };
    let now = Utc::now();
    let label = label(&entry.question);
    let (from, to) = (entry.position, mine);
    let mut a: ActiveModel = entry.into();
    a.position = Set(mine);
    a.updated_at = Set(now.into());
    a.update(&txn).await?;
    let mut b: ActiveModel = neighbour.into();
    b.position = Set(theirs);
    b.update(&txn).await?;
    let note = match direction {
        Direction::Up => "Dinaikkan satu urutan",
        Direction::Down => "Diturunkan satu urutan",
    };
    Event::new(Action::FaqMoved, SUBJECT)
        .subject(id, label)
        .transition(from.to_string(), to.to_string())
        .note(note)
        .record(&txn, &Actor::user(admin, ip))
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Shows (`active`) or hides an entry.
///
/// # Errors
/// `NotFound` for an unknown id, `Conflict` when it already is so.
pub async fn set_active(db: &DatabaseConnection, admin: &users::Model, id: i32, active: bool, ip: &str) -> AppResult<Model> {
    let txn = super::begin_write(db).await?;
    let entry = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    if entry.active == active {
        let state = if active { "sudah ditampilkan" } else { "sudah disembunyikan" };
        return Err(AppError::Conflict(format!("Pertanyaan ini {state}.")));
    }
    let mut model: ActiveModel = entry.into();
    model.active = Set(active);
    model.updated_at = Set(Utc::now().into());
    let saved = model.update(&txn).await?;
    let action = if active { Action::FaqActivated } else { Action::FaqDeactivated };
    Event::new(action, SUBJECT).subject(saved.id, label(&saved.question)).record(&txn, &Actor::user(admin, ip)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes an entry for good; its audit row keeps the question.
///
/// # Errors
/// `NotFound` for an unknown id.
pub async fn delete(db: &DatabaseConnection, admin: &users::Model, id: i32, ip: &str) -> AppResult<()> {
    let txn = super::begin_write(db).await?;
    let entry = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let label = label(&entry.question);
    entry.delete(&txn).await?;
    Event::new(Action::FaqDeleted, SUBJECT).subject(id, label).record(&txn, &Actor::user(admin, ip)).await?;
    txn.commit().await?;
    Ok(())
}
