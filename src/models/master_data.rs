//! What every kind of master data shares: a searchable, paginated list,
//! audited create/edit, and deactivation instead of deletion — rows that
//! later stages refer to are never hard-deleted.
use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait as _, Func},
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Deserialize;

use super::{
    _entities::users,
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
};

/// A master-data entity.
pub trait Record: Sized + Send + Sync {
    type Entity: EntityTrait<Model = Self>;
    /// The audit subject type, e.g. `"station"`.
    const SUBJECT: &'static str;
    /// Columns searched by the list's search box.
    const SEARCH: &'static [<Self::Entity as EntityTrait>::Column];
    /// The column the list is sorted by.
    const ORDER: <Self::Entity as EntityTrait>::Column;
    const ACTIVE: <Self::Entity as EntityTrait>::Column;
    const UPDATED_AT: <Self::Entity as EntityTrait>::Column;

    fn id(&self) -> i32;
    fn label(&self) -> String;
    fn is_active(&self) -> bool;

    /// What deactivating this record also does, in the same transaction
    /// (after its audit row); an error undoes the deactivation.
    fn on_deactivated(&self, _txn: &super::WriteTxn, _admin: &users::Model, _ip: &str) -> impl std::future::Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
}

/// The list page's query string.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    /// `aktif`, `nonaktif` or empty for all.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: crate::models::paging::PageNo,
}

/// One page of records and where it sits in the list.
///
/// # Errors
/// On database failure.
pub async fn page<R>(db: &DatabaseConnection, query: &ListQuery, per_page: u64) -> AppResult<(Vec<R>, crate::models::paging::Window)>
where
    R: Record + sea_orm::FromQueryResult,
{
    let mut q = R::Entity::find();
    let term = query.q.trim();
    if !term.is_empty() {
        let mut any = Condition::any();
        for col in R::SEARCH {
            any = any.add(Expr::expr(Func::lower(Expr::col(*col))).like(format!("%{}%", term.to_lowercase())));
        }
        q = q.filter(any);
    }
    match query.status.as_str() {
        "aktif" => q = q.filter(R::ACTIVE.eq(true)),
        "nonaktif" => q = q.filter(R::ACTIVE.eq(false)),
        _ => {}
    }
    let window = crate::models::paging::Window::new(query.page, per_page, q.clone().count(db).await?);
    let rows = crate::models::paging::rows_in(db, q.order_by_asc(R::ORDER), &window).await?;
    Ok((rows, window))
}

/// # Errors
/// `NotFound` when no record has that id.
pub async fn find<R: Record>(db: &DatabaseConnection, id: i32) -> AppResult<R> {
    R::Entity::find().filter(primary_col::<R>().eq(id)).one(db).await?.ok_or(AppError::NotFound)
}

/// Inserts or updates `model` and writes its audit row in one transaction.
///
/// # Errors
/// On database failure.
pub async fn save<R, A>(db: &DatabaseConnection, admin: &users::Model, model: A, ip: &str) -> AppResult<R>
where
    R: Record + IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = R::Entity> + sea_orm::ActiveModelBehavior + Send,
{
    let creating = model.is_not_set(primary_col::<R>());
    let txn = crate::models::begin_write(db).await?;
    let saved: R = if creating { model.insert(&txn).await? } else { model.update(&txn).await? };
    let action = if creating { Action::MasterCreated } else { Action::MasterUpdated };
    Event::new(action, R::SUBJECT).subject(saved.id(), saved.label()).record(&txn, &Actor::user(admin, ip)).await?;
    txn.commit().await?;
    Ok(saved)
}

fn primary_col<R: Record>() -> <R::Entity as EntityTrait>::Column {
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    <R::Entity as EntityTrait>::PrimaryKey::iter().next().expect("primary key").into_column()
}

/// Activates or deactivates a record (the only "delete" master data has).
///
/// # Errors
/// `NotFound` for an unknown id, `Conflict` when it already has that state.
pub async fn set_active<R, A>(db: &DatabaseConnection, admin: &users::Model, id: i32, active: bool, ip: &str) -> AppResult<R>
where
    R: Record + IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = R::Entity> + sea_orm::ActiveModelBehavior + Send,
{
    let txn = crate::models::begin_write(db).await?;
    let record: R = R::Entity::find().filter(primary_col::<R>().eq(id)).one(&txn).await?.ok_or(AppError::NotFound)?;
    if record.is_active() == active {
        return Err(AppError::Conflict(format!("{} sudah {}.", record.label(), if active { "aktif" } else { "nonaktif" })));
    }
    let mut model = record.into_active_model();
    model.set(R::ACTIVE, active.into());
    model.set(R::UPDATED_AT, sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now()).into());
    let saved: R = model.update(&txn).await?;
    let (from, to) = if active { ("nonaktif", "aktif") } else { ("aktif", "nonaktif") };
    Event::new(if active { Action::MasterActivated } else { Action::MasterDeactivated }, R::SUBJECT)
        .subject(saved.id(), saved.label())
        .transition(from, to)
        .record(&txn, &Actor::user(admin, ip))
        .await?;
    if !active {
        saved.on_deactivated(&txn, admin, ip).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Adds a message when the trimmed value is shorter than `min` or longer
/// than `max` characters (`min == 1` means required).
pub fn check_len(errors: &mut super::errors::FieldErrors, field: &str, label: &str, value: &str, min: usize, max: usize) {
    let n = value.trim().chars().count();
    if n < min {
        if min == 1 {
            errors.add(field, format!("{label} wajib diisi."));
        } else {
            errors.add(field, format!("{label} minimal {min} karakter."));
        }
    } else if n > max {
        errors.add(field, format!("{label} maksimal {max} karakter."));
    }
}

/// Parses a whole number within `min..=max`, adding a message otherwise.
pub fn parse_int(errors: &mut super::errors::FieldErrors, field: &str, label: &str, value: &str, min: i32, max: i32) -> Option<i32> {
    match value.trim().parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        Ok(_) => {
            errors.add(field, format!("{label} harus antara {min} dan {max}."));
            None
        }
        Err(_) => {
            errors.add(field, format!("{label} harus berupa angka bulat."));
            None
        }
    }
}
