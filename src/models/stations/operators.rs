//! Station assignment (DESIGN §1): an operator runs personalization only on
//! the stations the admin assigned to them; an admin uses any station.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};

pub use crate::models::_entities::station_operators::{ActiveModel, Column, Entity, Model};
use crate::models::{
    _entities::{stations, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    roles::Role,
};

/// The ids of the stations assigned to `user_id`.
///
/// # Errors
/// On database failure.
pub async fn station_ids<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<Vec<i32>> {
    Ok(Entity::find().filter(Column::UserId.eq(user_id)).all(db).await?.into_iter().map(|a| a.station_id).collect())
}

/// May `user` start a run on `station_id`? Admins: any station; operators:
/// their assigned ones; nobody else.
///
/// # Errors
/// On database failure.
pub async fn may_use<C: ConnectionTrait>(db: &C, user: &users::Model, station_id: i32) -> AppResult<bool> {
    Ok(match Role::parse(&user.role) {
        Some(Role::Admin) => true,
        Some(Role::Operator) => Entity::find().filter(Column::UserId.eq(user.id)).filter(Column::StationId.eq(station_id)).count(db).await? > 0,
        _ => false,
    })
}

/// The stations `user` may choose from, active only, by code.
///
/// # Errors
/// On database failure.
pub async fn usable_by<C: ConnectionTrait>(db: &C, user: &users::Model) -> AppResult<Vec<stations::Model>> {
    let mut q = stations::Entity::find().filter(stations::Column::Active.eq(true)).order_by_asc(stations::Column::Code);
    if Role::parse(&user.role) != Some(Role::Admin) {
        q = q.filter(stations::Column::Id.is_in(station_ids(db, user.id).await?));
    }
    Ok(q.all(db).await?)
}

fn codes(all: &[stations::Model], ids: &[i32]) -> String {
    let mut codes: Vec<&str> = all.iter().filter(|s| ids.contains(&s.id)).map(|s| s.code.as_str()).collect();
    codes.sort_unstable();
    if codes.is_empty() {
        "-".to_string()
    } else {
        codes.join(", ")
    }
}

/// The admin sets the stations of operator `user` to exactly `wanted`
/// (station ids), audited with the codes before and after.
///
/// # Errors
/// `Invalid` for an account that is not an operator or an unknown station.
pub async fn assign(db: &DatabaseConnection, admin: &users::Model, user: &users::Model, wanted: &[i32], ip: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    if Role::parse(&user.role) != Some(Role::Operator) {
        errors.add("stations", "Stasiun hanya ditugaskan kepada akun berperan operator.");
    }
    let all = stations::Entity::find().all(db).await?;
    let mut wanted: Vec<i32> = wanted.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.iter().any(|id| !all.iter().any(|s| s.id == *id)) {
        errors.add("stations", "Pilih stasiun dari daftar.");
    }
    errors.into_result()?;
    let txn = crate::models::begin_write(db).await?;
    let before = station_ids(&txn, user.id).await?;
    Entity::delete_many().filter(Column::UserId.eq(user.id)).exec(&txn).await?;
    let now = Utc::now();
    for station_id in &wanted {
        ActiveModel { station_id: Set(*station_id), user_id: Set(user.id), created_at: Set(now.into()), ..Default::default() }.insert(&txn).await?;
    }
    Event::new(Action::StationOperatorsChanged, "user")
        .subject(user.id, &user.username)
        .note(format!("stasiun: {} → {}", codes(&all, &before), codes(&all, &wanted)))
        .record(&txn, &Actor::user(admin, ip))
        .await?;
    txn.commit().await.map_err(AppError::from)?;
    Ok(())
}
