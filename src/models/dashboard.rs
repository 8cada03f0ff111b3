//! The dashboard's counters: what waits for the signed-in role, each with
//! the page where it is handled. Counted in the query, scoped like the lists.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;

use super::{
    _entities::{personalization_requests as requests, submissions, users},
    errors::AppResult,
    roles::Role,
};

#[derive(Debug, Serialize)]
pub struct Tile {
    pub label: &'static str,
    pub count: u64,
    pub href: &'static str,
}

const fn tile(label: &'static str, count: u64, href: &'static str) -> Tile {
    Tile { label, count, href }
}

/// # Errors
/// On database failure.
pub async fn tiles(db: &DatabaseConnection, user: &users::Model) -> AppResult<Vec<Tile>> {
    let org = user.organisation_id.unwrap_or(-1);
    let req = |col: requests::Column, status: &'static str| requests::Entity::find().filter(col.eq(org)).filter(requests::Column::Status.eq(status));
    let subs = |status: &'static str| submissions::Entity::find().filter(submissions::Column::Status.eq(status));
    Ok(match user.role() {
        Role::Admin => vec![
            tile("Pengajuan baru menunggu keputusan", subs("new").count(db).await?, "/pengajuan?status=new"),
            tile("Pengajuan dalam antrean personalisasi", subs("accepted").count(db).await? + subs("in_progress").count(db).await?, "/personalisasi?status=progress"),
            tile("Akun menunggu aktivasi", users::Entity::find().filter(users::Column::Status.eq("pending")).count(db).await?, "/admin/pengguna?status=pending"),
        ],
        Role::Operator => vec![tile(
            "Pengajuan dalam antrean personalisasi",
            subs("accepted").count(db).await? + subs("in_progress").count(db).await?,
            "/personalisasi?status=progress",
        )],
        Role::Produsen => vec![
            tile("Permintaan menunggu persetujuan Anda", req(requests::Column::ProducerId, "submitted").count(db).await?, "/permintaan?status=progress"),
            tile(
                "Permintaan disetujui, belum diajukan",
                requests::Entity::find()
                    .filter(requests::Column::ProducerId.eq(org))
                    .filter(requests::Column::Status.eq("approved"))
                    .filter(requests::Column::SubmissionId.is_null())
                    .count(db)
                    .await?,
                "/pengajuan/baru",
            ),
            tile("Pengajuan Anda menunggu keputusan Dukcapil", subs("new").filter(submissions::Column::ProducerId.eq(org)).count(db).await?, "/pengajuan?status=new"),
        ],
        Role::Lembaga | Role::DukcapilKota => vec![
            tile("Permintaan menunggu persetujuan produsen", req(requests::Column::OrganisationId, "submitted").count(db).await?, "/permintaan?status=progress"),
            tile(
                "Permintaan disetujui atau dalam proses",
                req(requests::Column::OrganisationId, "approved").count(db).await? + req(requests::Column::OrganisationId, "bundled").count(db).await?,
                "/permintaan?status=approved",
            ),
        ],
    })
}
