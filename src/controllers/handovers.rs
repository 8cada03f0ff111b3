//! Cetak Dokumen BAST: the list of Done/Received submissions, View with the
//! reconciled lines, Received (Jumlah Diterima), ordering documents (built
//! by a background worker), their progress and downloads.
use std::collections::HashMap;

use axum::{
    extract::{Path, Query, RawQuery, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Form as AxumForm, Json,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use super::Db;
use super::{app_page, see_other, session::Auth, strip_page, Failure, Flash, PageResult};
use crate::{
    locale::jam_wib,
    models::{
        _entities::organisations,
        documents::{self, Kind},
        submissions::handover::{self, ListQuery},
        submissions::{Model, Status, Viewer},
        AppError, FieldErrors,
    },
    settings::Settings,
    views::layout::{flash, flash_from_query, pager},
    workers::documents::DocumentBuilder,
};

const PER_PAGE: u64 = 20;

fn viewer(auth: &Auth) -> Result<Viewer, Failure> {
    super::viewer(auth)
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<ListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let viewer = viewer(&auth)?;
    let (rows, window) = handover::page(&db, &q, viewer, PER_PAGE).await?;
    let offset = window.offset();
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (s, p))| {
            let st = s.status();
            json!({ "no": offset + i as u64 + 1, "s": s, "producer": p.map(|p| p.name).unwrap_or_default(), "code": st.as_str(), "label": st.label(), "may_receive": st == Status::Done && matches!(viewer, Viewer::Producer(_)) })
        })
        .collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "handovers/index.html",
        "bast",
        json!({ "rows": rows, "q": q, "pager": pager(&window, &strip_page(raw.as_deref())), "flash": flash_from_query(raw.as_deref()) }),
    )
}

fn document_json(d: &documents::Model) -> Value {
    json!({ "id": d.id, "number": d.number, "kind": d.kind().label(), "status": d.status, "file_name": d.file_name, "error": d.error, "created_at": d.created_at.to_rfc3339(), "created_at_wib": jam_wib(&d.created_at), "request_id": d.request_id })
}

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<Flash>) -> PageResult {
    show_page(&ctx, &v, &auth, id, StatusCode::OK, flash(q.ok()), &FieldErrors::new(), &HashMap::new()).await
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    id: i32,
    status: StatusCode,
    flash: Value,
    errors: &FieldErrors,
    typed: &HashMap<String, String>,
) -> PageResult {
    let viewer = viewer(auth)?;
    let s = Model::find_for(&ctx.db, viewer, id).await?;
    let st = s.status();
    if !matches!(st, Status::Done | Status::Received) {
        return Err(Failure::not_found());
    }
    let producer = organisations::Entity::find_by_id(s.producer_id).one(&ctx.db).await.map_err(AppError::from)?.map(|o| o.name).unwrap_or_default();
    let mut lines = handover::lines(&ctx.db, id).await?;
    if let Viewer::Institution(org) = viewer {
        lines.retain(|l| l.request.organisation_id == org);
    }
    let lines: Vec<_> = lines
        .iter()
        .map(|l| {
            let field = format!("received_{}", l.request.id);
            json!({ "line": l, "field": field, "typed": typed.get(&field).cloned().unwrap_or_default(), "error": errors.get(&field) })
        })
        .collect();
    let documents: Vec<_> = documents::of_submission(&ctx.db, auth.user(), id).await?.iter().map(document_json).collect();
    let may_print = matches!(viewer, Viewer::Admin | Viewer::Producer(_));
    app_page(
        v,
        auth,
        status,
        "handovers/show.html",
        "bast",
        json!({
            "s": s, "producer": producer, "code": st.as_str(), "label": st.label(), "percent": st.percent(), "lines": lines, "documents": documents,
            "may_receive": st == Status::Done && matches!(viewer, Viewer::Producer(_)), "may_print": may_print && st == Status::Received,
            "may_reply": may_print, "flash": flash, "errors": errors,
            "building": documents.iter().any(|d| d["status"] == "queued"),
        }),
    )
}

/// Submit Penerimaan.
async fn receive(
    State(ctx): State<AppContext>,
    v: ViewEngine<TeraView>,
    auth: Auth,
    Path(id): Path<i32>,
    AxumForm(form): AxumForm<HashMap<String, String>>,
) -> PageResult {
    viewer(&auth)?;
    match handover::receive(&ctx.db, auth.user(), id, &form, &Settings::get(&ctx).env(auth.ip())).await {
        Ok(_) => Ok(see_other(&format!("/bast/{id}?ok=diterima-produsen"))),
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors, &form).await,
        Err(e) => Err(e.into()),
    }
}

/// Cetak BAST / List / Surat Balasan: documents are built in the background.
async fn order(
    State(ctx): State<AppContext>,
    v: ViewEngine<TeraView>,
    auth: Auth,
    Path(id): Path<i32>,
    AxumForm(form): AxumForm<HashMap<String, String>>,
) -> PageResult {
    viewer(&auth)?;
    match documents::order(&ctx.db, auth.user(), id, &form, auth.ip()).await {
        Ok(ids) => {
            DocumentBuilder::dispatch(&ctx, ids).await;
            Ok(see_other(&format!("/bast/{id}?ok=dokumen-diproses")))
        }
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors, &HashMap::new()).await,
        Err(e) => Err(e.into()),
    }
}

/// The documents of a submission, for the page's poller.
async fn documents(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let viewer = viewer(&auth)?;
    Model::find_for(&db, viewer, id).await?;
    let docs: Vec<_> = documents::of_submission(&db, auth.user(), id).await?.iter().map(document_json).collect();
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(json!({ "documents": docs }))).into_response())
}

async fn download(State(ctx): State<AppContext>, auth: Auth, Path(doc): Path<i32>) -> PageResult {
    viewer(&auth)?;
    let (doc, bytes) = documents::for_download(&ctx.db, &Settings::get(&ctx).upload_dir, auth.user(), doc).await?;
    let content_type = match doc.kind() {
        Kind::CardList => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Kind::Bast | Kind::Reply | Kind::ActivationReply => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };
    Ok(super::send_file(content_type, &doc.file_name, bytes))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/bast", axum::routing::get(index))
        .add("/bast/{id}", axum::routing::get(show))
        .add("/bast/{id}/terima", axum::routing::post(receive))
        .add("/bast/{id}/cetak", axum::routing::post(order))
        .add("/bast/{id}/dokumen", axum::routing::get(documents))
        .add("/bast/dokumen/{doc}", axum::routing::get(download))
}
