//! Proses Personalisasi (admin and operators): the queue of accepted
//! submissions, and per submission its perso data — Generate, Clear All,
//! Export Excel. Runs on the reader stations come with the stations work.
use axum::{
    extract::{Path, Query, RawQuery, State},
    http::{header, StatusCode},
    response::IntoResponse,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;

use super::{admin_users::strip_page, home::Flash, see_other, session::Auth, Failure, PageResult};
use crate::{
    models::{
        _entities::{organisations, personalization_requests as requests, submissions},
        perso_data::{self, may_personalize, QueueQuery},
        submissions::{self as subs, Status},
        AppError,
    },
    views::layout::{app_page, flash, pager_open},
};

const PER_PAGE: u64 = 20;
const CARDS_PER_PAGE: u64 = 50;

fn staff(auth: &Auth) -> Result<(), Failure> {
    if may_personalize(auth.user()) {
        Ok(())
    } else {
        Err(Failure::forbidden())
    }
}

async fn index(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<QueueQuery>, RawQuery(raw): RawQuery) -> PageResult {
    staff(&auth)?;
    let (rows, more) = q.page(&ctx.db, PER_PAGE).await?;
    let offset = (q.page_number() - 1) * PER_PAGE;
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (s, p))| {
            let st = s.status();
            json!({ "no": offset + i as u64 + 1, "s": s, "producer": p.map(|p| p.name).unwrap_or_default(), "label": st.label(), "code": st.as_str() })
        })
        .collect();
    app_page(&v, &auth, StatusCode::OK, "personalization/index.html", "personalisasi", json!({ "rows": rows, "q": q, "pager": pager_open(q.page_number(), more, &strip_page(raw.as_deref())) }))
}

#[derive(Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    page: Option<u64>,
    #[serde(default)]
    ok: Option<String>,
}

async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<EditQuery>) -> PageResult {
    edit_page(&ctx, &v, &auth, id, q.page.unwrap_or(1), flash(q.ok.as_deref()), Vec::new(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(ctx: &AppContext, v: &ViewEngine<TeraView>, auth: &Auth, id: i32, page: u64, flash: serde_json::Value, import_errors: Vec<String>, status: StatusCode) -> PageResult {
    staff(auth)?;
    let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.map_err(AppError::from)?.ok_or_else(Failure::not_found)?;
    if s.status() == Status::New || s.status() == Status::Rejected {
        return Err(Failure::not_found());
    }
    let producer = organisations::Entity::find_by_id(s.producer_id).one(&ctx.db).await.map_err(AppError::from)?.map(|o| o.name).unwrap_or_default();
    let bundle: Vec<_> = requests::Entity::find()
        .find_also_related(organisations::Entity)
        .filter(requests::Column::SubmissionId.eq(id))
        .all(&ctx.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|(r, o)| json!({ "id": r.id, "number": r.number, "title": r.title, "date": r.request_date, "quantity": r.quantity, "institution": o.map(|o| o.name).unwrap_or_default() }))
        .collect();
    let page = page.max(1);
    let (cards, more) = subs::cards_page(&ctx.db, id, "", page, CARDS_PER_PAGE).await?;
    let cards: Vec<_> = cards
        .into_iter()
        .map(|(c, n)| json!({ "row": c.row_no, "serial": c.serial, "request": n, "perso": c.perso_number, "pcid": c.pcid, "manifest": c.manifest_number, "status": c.status }))
        .collect();
    let counts = perso_data::counts(&ctx.db, id).await?;
    let st = s.status();
    app_page(
        v,
        auth,
        status,
        "personalization/edit.html",
        "personalisasi",
        json!({
            "s": s, "producer": producer, "bundle": bundle, "cards": cards, "counts": counts, "label": st.label(), "code": st.as_str(),
            "editable": matches!(st, Status::Accepted | Status::InProgress), "pager": pager_open(page, more, ""), "flash": flash, "import_errors": import_errors,
        }),
    )
}

async fn generate(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    staff(&auth)?;
    perso_data::generate(&ctx.db, auth.user(), id, auth.ip()).await?;
    Ok(see_other(&format!("/personalisasi/{id}?ok=perso-dibuat")))
}

async fn clear(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    staff(&auth)?;
    perso_data::clear_all(&ctx.db, auth.user(), id, auth.ip()).await?;
    Ok(see_other(&format!("/personalisasi/{id}?ok=perso-dihapus")))
}

/// Import perso data from Excel (the "Kartu" sheet of Export Excel).
async fn import(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, multipart: axum::extract::Multipart) -> PageResult {
    staff(&auth)?;
    let (_, file) = super::read_multipart(multipart, "perso").await?;
    let Some((bytes, _)) = file else {
        return edit_page(&ctx, &v, &auth, id, 1, serde_json::Value::Null, vec!["Pilih berkas Excel data personalisasi.".into()], StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match perso_data::import(&ctx.db, auth.user(), id, &bytes, auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/personalisasi/{id}?ok=perso-diimpor"))),
        Err(AppError::Invalid(errors)) => {
            let lines = errors.get("perso").unwrap_or_default().lines().map(str::to_string).collect();
            edit_page(&ctx, &v, &auth, id, 1, serde_json::Value::Null, lines, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Export Excel of the submission, its requests and its cards.
async fn export(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>, Query(_q): Query<Flash>) -> PageResult {
    staff(&auth)?;
    let s = submissions::Entity::find_by_id(id).one(&ctx.db).await.map_err(AppError::from)?.ok_or_else(Failure::not_found)?;
    if s.status() == Status::New || s.status() == Status::Rejected {
        return Err(Failure::not_found());
    }
    let bytes = perso_data::export(&ctx.db, &s).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", perso_data::export_name(&s))),
        ],
        bytes,
    )
        .into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/personalisasi", axum::routing::get(index))
        .add("/personalisasi/{id}", axum::routing::get(edit))
        .add("/personalisasi/{id}/generate", axum::routing::post(generate))
        .add("/personalisasi/{id}/clear", axum::routing::post(clear))
        .add("/personalisasi/{id}/import", axum::routing::post(import))
        .add("/personalisasi/{id}/export", axum::routing::get(export))
}
