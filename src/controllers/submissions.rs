//! Pengajuan SAM Rekam Cetak: the producer's submissions (Buat Surat
//! Personalisasi, Edit, Remove, View Card, downloads), the admin's Accept /
//! Reject, and the institutions' read-only view.
use axum::{
    extract::{Multipart, Path, Query, RawQuery, State},
    http::StatusCode,
    Form as AxumForm,
};
use chrono::Utc;
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::Db;
use super::{app_page, attachment, see_other, session::Auth, strip_page, Failure, Flash, PageResult};
use crate::{
    models::{
        _entities::{machine_types, organisations, personalization_requests as requests},
        imports::Slots,
        requests::Letter,
        submissions::{self, card_list, ActiveModel, CardFile, Form, ListQuery, Model, Status, Viewer, FILE_AREA},
        uploads, AppError, FieldErrors,
    },
    settings::Settings,
    views::layout::{flash, flash_from_query, pager},
    workers::mail_delivery::MailDelivery,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const PER_PAGE: u64 = 20;
const CARDS_PER_PAGE: u64 = 50;

fn viewer(auth: &Auth) -> Result<Viewer, Failure> {
    super::viewer(auth)
}

fn producer(auth: &Auth) -> Result<i32, Failure> {
    match Viewer::of(auth.user()) {
        Viewer::Producer(org) => Ok(org),
        _ => Err(Failure::forbidden()),
    }
}

fn status_json(s: &Model) -> Value {
    json!({ "code": s.status.as_str(), "label": s.status.label(), "percent": s.status.percent() })
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<ListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let viewer = viewer(&auth)?;
    let (rows, window) = q.page(&db, viewer, PER_PAGE).await?;
    let offset = window.offset();
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (s, p))| json!({ "no": offset + i as u64 + 1, "s": s, "producer": p.map(|p| p.name).unwrap_or_default(), "status": status_json(&s), "is_new": s.status() == Status::New }))
        .collect();
    let base = strip_page(raw.as_deref());
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "submissions/index.html",
        "pengajuan",
        json!({
            "rows": rows, "q": q, "pager": pager(&window, &base), "flash": flash_from_query(raw.as_deref()),
            "is_producer": matches!(viewer, Viewer::Producer(_)), "is_admin": viewer == Viewer::Admin,
        }),
    )
}

/// The card-list template (.xlsx) to fill in.
async fn template(auth: Auth) -> PageResult {
    producer(&auth)?;
    Ok(super::send_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Template-Daftar-Kartu-SAM.xlsx", card_list::template()))
}

async fn form_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    status: StatusCode,
    existing: Option<&Model>,
    form: &Form,
    errors: &FieldErrors,
) -> PageResult {
    let org = producer(auth)?;
    let open: Vec<_> = match existing {
        Some(s) => requests::Entity::find().find_also_related(organisations::Entity).filter(requests::Column::SubmissionId.eq(s.id)).all(&ctx.db).await.map_err(AppError::from)?,
        None => submissions::open_requests(&ctx.db, org).await?,
    }
    .into_iter()
    .map(|(r, o)| json!({ "id": r.id, "number": r.number, "title": r.title, "date": r.request_date, "quantity": r.quantity, "institution": o.map(|o| o.name).unwrap_or_default(), "checked": form.request_ids.contains(&r.id) || existing.is_some() }))
    .collect();
    let machines: Vec<_> = machine_types::Entity::find()
        .filter(machine_types::Column::Active.eq(true))
        .all(&ctx.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|m| json!({ "id": m.id.to_string(), "name": m.name }))
        .collect();
    let cards_errors: Vec<String> = errors.get("cards").map(|s| s.lines().map(str::to_string).collect()).unwrap_or_default();
    app_page(
        v,
        auth,
        status,
        "submissions/form.html",
        "pengajuan",
        json!({
            "id": existing.map(|s| s.id), "form": form, "errors": errors, "cards_errors": cards_errors, "requests": open, "machines": machines,
            "today": crate::locale::long_date(Utc::now().with_timezone(&crate::locale::wib()).date_naive()),
        }),
    )
}

async fn new(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    form_page(&ctx, &v, &auth, StatusCode::OK, None, &Form::default(), &FieldErrors::new()).await
}

type Upload = Option<(Vec<u8>, String)>;

async fn read_form(multipart: Multipart) -> Result<(Form, Upload, Upload), Failure> {
    let (fields, files) = super::read_multipart_files(multipart, &["file", "cards"]).await?;
    let f = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = Form {
        number: f("number"),
        title: f("title"),
        card_count: f("card_count"),
        machine_type_id: f("machine_type_id"),
        note: f("note"),
        request_ids: fields.iter().filter(|(n, _)| n == "request_ids").filter_map(|(_, v)| v.parse().ok()).collect(),
    };
    let mut files = files;
    Ok((form, files.remove("file"), files.remove("cards")))
}

/// The uploaded card list, read in an import slot (or at once 503 busy).
async fn read_cards(ctx: &AppContext, cards: Upload) -> Result<Option<CardFile>, Failure> {
    match cards {
        Some((bytes, file_name)) => Ok(Some(CardFile::read(&Slots::of(ctx), bytes, file_name).await?)),
        None => Ok(None),
    }
}

async fn create(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, multipart: Multipart) -> PageResult {
    producer(&auth)?;
    let (form, file, cards) = read_form(multipart).await?;
    let letter = file.map(|(bytes, file_name)| Letter { bytes, file_name });
    let card_file = read_cards(&ctx, cards).await?;
    let settings = Settings::get(&ctx);
    match ActiveModel::submit(&ctx.db, auth.user(), &form, letter.as_ref(), card_file.as_ref(), &settings.env(auth.ip())).await {
        Ok(s) => {
            keep_cards_file(&ctx, s.id, card_file.as_ref()).await?;
            Ok(see_other(&format!("/pengajuan/{}?ok=disimpan", s.id)))
        }
        Err(AppError::Invalid(errors)) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, None, &form, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<Flash>) -> PageResult {
    show_page(&ctx, &v, &auth, id, StatusCode::OK, flash(q.ok()), &FieldErrors::new()).await
}

async fn show_page(ctx: &AppContext, v: &ViewEngine<TeraView>, auth: &Auth, id: i32, status: StatusCode, flash: Value, errors: &FieldErrors) -> PageResult {
    let page = submissions::page::Page::load(&ctx.db, viewer(auth)?, id).await?;
    let data = serde_json::to_value(&page).map_err(|e| Failure::internal(&e.to_string()))?;
    app_page(v, auth, status, "submissions/show.html", "pengajuan", crate::views::layout::merge(data, json!({ "flash": flash, "errors": errors })))
}

#[derive(Deserialize)]
pub struct CardQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: crate::models::paging::PageNo,
}

/// View Card: the imported list, paginated and searchable.
async fn cards(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<CardQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let s = Model::find_for(&db, viewer(&auth)?, id).await?;
    let page = q.page;
    let (rows, window) = submissions::cards_page(&db, viewer(&auth)?, id, &q.q, page, CARDS_PER_PAGE).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(c, n)| json!({ "row": c.row_no, "serial": c.serial, "request": n, "note": c.note.unwrap_or_default(), "status": c.status.badge() }))
        .collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "submissions/cards.html",
        "pengajuan",
        json!({ "s": s, "rows": rows, "q": q.q, "pager": pager(&window, &strip_page(raw.as_deref())) }),
    )
}

async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let org = producer(&auth)?;
    let s = Model::find_for(&ctx.db, Viewer::Producer(org), id).await?;
    if s.status() != Status::New {
        return Err(Failure::conflict(&format!("Pengajuan {} sudah {} dan tidak dapat diubah lagi.", s.number, s.status().label())));
    }
    let form = Form {
        number: s.number.clone(),
        title: s.title.clone(),
        card_count: s.card_count.to_string(),
        machine_type_id: s.machine_type_id.to_string(),
        note: s.note.clone().unwrap_or_default(),
        request_ids: Vec::new(),
    };
    form_page(&ctx, &v, &auth, StatusCode::OK, Some(&s), &form, &FieldErrors::new()).await
}

async fn update(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, multipart: Multipart) -> PageResult {
    let org = producer(&auth)?;
    let (form, file, cards) = read_form(multipart).await?;
    let letter = file.map(|(bytes, file_name)| Letter { bytes, file_name });
    let card_file = read_cards(&ctx, cards).await?;
    let settings = Settings::get(&ctx);
    match ActiveModel::edit(&ctx.db, auth.user(), id, &form, letter.as_ref(), card_file.as_ref(), &settings.env(auth.ip())).await {
        Ok(_) => {
            keep_cards_file(&ctx, id, card_file.as_ref()).await?;
            Ok(see_other(&format!("/pengajuan/{id}?ok=disimpan")))
        }
        Err(AppError::Invalid(errors)) => {
            let s = Model::find_for(&ctx.db, Viewer::Producer(org), id).await?;
            form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, Some(&s), &form, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn remove(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    ActiveModel::remove(&db, auth.user(), id, auth.ip()).await?;
    Ok(see_other("/pengajuan?ok=dihapus"))
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn decide(ctx: &AppContext, auth: &Auth, id: i32, to: Status, reason: &str) -> Result<(), AppError> {
    let settings = Settings::get(ctx);
    let (_, mails) = ActiveModel::decide(&ctx.db, auth.user(), id, to, reason, &settings.env(auth.ip())).await?;
    MailDelivery::dispatch(ctx, mails).await;
    Ok(())
}

async fn accept(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    decide(&ctx, &auth, id, Status::Accepted, "").await?;
    Ok(see_other(&format!("/pengajuan/{id}?ok=diterima")))
}

async fn reject(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, AxumForm(form): AxumForm<RejectForm>) -> PageResult {
    match decide(&ctx, &auth, id, Status::Rejected, &form.reason).await {
        Ok(()) => Ok(see_other(&format!("/pengajuan/{id}?ok=pengajuan-ditolak"))),
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors).await,
        Err(e) => Err(e.into()),
    }
}

/// Berkas Pengajuan, as an attachment.
async fn download(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let s = Model::find_for(&ctx.db, viewer(&auth)?, id).await?;
    attachment(&Settings::get(&ctx).upload_dir, FILE_AREA, &s.file_key, &s.file_kind, &s.download_name()).await
}

/// After the model accepted a card list (it parsed and matched the bundled
/// requests), the file itself is kept as sent, for its download.
async fn keep_cards_file(ctx: &AppContext, id: i32, card_file: Option<&CardFile>) -> Result<(), Failure> {
    let Some(file) = card_file else { return Ok(()) };
    let key = uploads::store(&Settings::get(ctx).upload_dir, submissions::CARDS_AREA, &file.bytes).await?;
    submissions::keep_cards_file(&ctx.db, id, &key).await?;
    Ok(())
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel Daftar Kartu SAM, in the scope of the letter download. Admin and
/// the producer get the file as uploaded; an institution gets a list built
/// from the imported rows of its own requests only (the uploaded file also
/// holds other institutions' cards). Submissions from before the file was
/// kept get the rebuilt list too.
async fn card_list_download(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let viewer = viewer(&auth)?;
    let s = Model::find_for(&ctx.db, viewer, id).await?;
    let name = submissions::cards_download_name(&s);
    if let (Viewer::Admin | Viewer::Producer(_), Some(key)) = (viewer, s.cards_file_key.as_deref()) {
        let path = uploads::path_of(&Settings::get(&ctx).upload_dir, submissions::CARDS_AREA, key).ok_or_else(Failure::not_found)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => return Ok(super::send_file(XLSX, &name, bytes)),
            Err(e) => tracing::warn!(submission = id, error = %e, "kept card list missing; rebuilt from the imported rows"),
        }
    }
    let institution = match viewer {
        Viewer::Institution(org) => Some(org),
        _ => None,
    };
    let rows = submissions::card_rows(&ctx.db, id, institution).await?;
    let bytes = card_list::workbook(&rows).map_err(|e| Failure::internal(&e.to_string()))?;
    Ok(super::send_file(XLSX, &name, bytes))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/pengajuan", axum::routing::get(index).post(create))
        .add("/pengajuan/baru", axum::routing::get(new))
        .add("/pengajuan/template", axum::routing::get(template))
        .add("/pengajuan/{id}", axum::routing::get(show).post(update))
        .add("/pengajuan/{id}/ubah", axum::routing::get(edit))
        .add("/pengajuan/{id}/kartu", axum::routing::get(cards))
        .add("/pengajuan/{id}/hapus", axum::routing::post(remove))
        .add("/pengajuan/{id}/terima", axum::routing::post(accept))
        .add("/pengajuan/{id}/tolak", axum::routing::post(reject))
        .add("/pengajuan/{id}/berkas", axum::routing::get(download))
        .add("/pengajuan/{id}/daftar-kartu", axum::routing::get(card_list_download))
}
