//! Permohonan Aktivasi as each role may see them: the admin all, an
//! institution those for its readers, a producer those it filed. The
//! scope is in the query; a record outside it is "not found".
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::RequestStatus;
use crate::models::{
    _entities::{activation_readers as readers, activation_requests as requests, organisations, users},
    errors::{AppError, AppResult},
    paging::{PageNo, Window},
    roles::Role,
};

/// Whose requests a user sees.
fn scope(user: &users::Model) -> Option<Condition> {
    let org = user.organisation_id?;
    match user.role() {
        Role::Admin => Some(Condition::all()),
        Role::Lembaga => Some(Condition::all().add(requests::Column::InstitutionId.eq(org))),
        Role::Produsen => Some(Condition::all().add(requests::Column::ApplicantId.eq(org))),
        _ => None,
    }
}

/// `?status=&page=` of the list, parsed once into bounded values.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ActivationQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
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
    pub status: String,
    pub status_label: &'static str,
    pub reply_number: Option<String>,
}

impl ActivationQuery {
    /// One page of the user's requests, newest first.
    ///
    /// # Errors
    /// `NotFound` for a role without the list.
    pub async fn page(&self, db: &DatabaseConnection, user: &users::Model, per_page: u64) -> AppResult<(Vec<Row>, Window)> {
        let scope = scope(user).ok_or(AppError::NotFound)?;
        let mut q = requests::Entity::find().filter(scope);
        if let Some(status) = RequestStatus::parse(&self.status) {
            q = q.filter(requests::Column::Status.eq(status.as_str()));
        }
        let window = Window::new(self.page, per_page, crate::models::paging::count(db, &q).await?);
        let found = q.order_by_desc(requests::Column::Id).offset(window.offset()).limit(per_page).all(db).await?;
        // The page's institutions and reader counts in two queries, not two per row.
        let ids: Vec<i32> = found.iter().map(|r| r.id).collect();
        let counts: std::collections::HashMap<i32, i64> = readers::Entity::find()
            .select_only()
            .column(readers::Column::RequestId)
            .column_as(readers::Column::Id.count(), "n")
            .filter(readers::Column::RequestId.is_in(ids))
            .group_by(readers::Column::RequestId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let names: std::collections::HashMap<i32, String> = organisations::Entity::find()
            .filter(organisations::Column::Id.is_in(found.iter().map(|r| r.institution_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let rows = found
            .into_iter()
            .map(|r| Row {
                id: r.id,
                letter_number: r.letter_number,
                letter_date: crate::locale::date(r.letter_date),
                institution: names.get(&r.institution_id).cloned().unwrap_or_default(),
                readers: counts.get(&r.id).copied().unwrap_or(0),
                status_label: RequestStatus::parse(&r.status).unwrap_or(RequestStatus::New).label(),
                status: r.status,
                reply_number: r.reply_number,
            })
            .collect();
        Ok((rows, window))
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
        Role::Lembaga => Ok(organisations::Entity::find_by_id(org).all(db).await?),
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
