//! Permintaan Personalisasi: the requester's list and form, the producer's
//! Tabel Permohonan Personalisasi with Approve / Reject (and bulk approve),
//! the admin's read-only view, and the letter download.
use axum::{
    body::Bytes,
    extract::{Multipart, Path, Query, RawQuery, State},
    http::StatusCode,
    Form as AxumForm,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Db;
use super::{app_page, attachment, read_multipart, see_other, session::Auth, strip_page, Failure, Flash, PageResult};
use crate::{
    models::{
        requests::{self, ActiveModel, Detail, Env, Form, Letter, ListQuery, Model, Row, Status, Viewer, FILE_AREA},
        AppError, FieldErrors,
    },
    settings::Settings,
    views::layout::{flash, flash_from_query, pager},
    workers::mail_delivery::MailDelivery,
};

const PER_PAGE: u64 = 20;

fn viewer(auth: &Auth) -> Result<Viewer, Failure> {
    super::viewer(auth)
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<ListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let viewer = viewer(&auth)?;
    let (rows, window) = q.page(&db, viewer, PER_PAGE).await?;
    let offset = window.offset();
    let rows: Vec<_> = rows.iter().zip(offset + 1..).map(|(row, no)| ListRow::of(no, row)).collect();
    let base = strip_page(raw.as_deref());
    let page = ListPage {
        rows,
        q: &q,
        pager: pager(&window, &base),
        is_requester: matches!(viewer, Viewer::Requester(_)),
        is_producer: matches!(viewer, Viewer::Producer(_)),
        flash: flash_from_query(raw.as_deref()),
    };
    app_page(&v, &auth, StatusCode::OK, "requests/index.html", "permintaan", page)
}

/// What `requests/index.html` shows.
#[derive(Serialize)]
struct ListPage<'a> {
    rows: Vec<ListRow<'a>>,
    q: &'a ListQuery,
    pager: crate::views::layout::Pager,
    is_requester: bool,
    is_producer: bool,
    flash: Value,
}

/// One line of the table: its number on the list, what the columns show
/// (the date already in Indonesian) and whether it still awaits the
/// producer's decision. Only what the template prints: each field is
/// converted for every row of every page.
#[derive(Serialize)]
struct ListRow<'a> {
    no: u64,
    id: i32,
    number: &'a str,
    title: &'a str,
    institution: &'a str,
    producer: &'a str,
    date: String,
    quantity: i32,
    status: crate::models::Badge,
    open: bool,
}

impl<'a> ListRow<'a> {
    fn of(no: u64, row: &'a Row) -> Self {
        Self {
            no,
            id: row.id,
            number: &row.number,
            title: &row.title,
            institution: &row.institution,
            producer: &row.producer,
            date: crate::locale::date(row.request_date),
            quantity: row.quantity,
            status: row.status.badge(),
            open: row.status == Status::Submitted,
        }
    }
}

async fn form_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    status: StatusCode,
    id: Option<i32>,
    form: &Form,
    errors: &FieldErrors,
) -> PageResult {
    let (producers, machines) = requests::choices(&ctx.db).await?;
    let producers: Vec<_> = producers.into_iter().map(|o| json!({ "id": o.id.to_string(), "name": o.name })).collect();
    let machines: Vec<_> = machines.into_iter().map(|m| json!({ "id": m.id.to_string(), "name": m.name })).collect();
    app_page(
        v,
        auth,
        status,
        "requests/form.html",
        "permintaan",
        json!({ "id": id, "form": form, "errors": errors, "producers": producers, "machines": machines }),
    )
}

fn require_requester(auth: &Auth) -> Result<(), Failure> {
    match Viewer::of(auth.user()) {
        Viewer::Requester(_) => Ok(()),
        _ => Err(Failure::forbidden()),
    }
}

async fn new(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    require_requester(&auth)?;
    let form = Form { request_date: chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive().to_string(), ..Form::default() };
    form_page(&ctx, &v, &auth, StatusCode::OK, None, &form, &FieldErrors::new()).await
}

fn form_from(fields: &std::collections::HashMap<String, String>) -> Form {
    let f = |k: &str| fields.get(k).cloned().unwrap_or_default();
    Form {
        number: f("number"),
        title: f("title"),
        request_date: f("request_date"),
        producer_id: f("producer_id"),
        quantity: f("quantity"),
        machine_type_id: f("machine_type_id"),
        remarks: f("remarks"),
    }
}

fn env<'a>(settings: &'a Settings, auth: &'a Auth) -> Env<'a> {
    settings.env(auth.ip())
}

async fn create(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, multipart: Multipart) -> PageResult {
    require_requester(&auth)?;
    let (fields, file) = read_multipart(multipart, "file").await?;
    let form = form_from(&fields);
    let letter = file.map(|(bytes, file_name)| Letter { bytes, file_name });
    let settings = Settings::get(&ctx);
    match ActiveModel::file(&ctx.db, auth.user(), &form, letter.as_ref(), &env(&settings, &auth)).await {
        Ok((request, mails)) => {
            MailDelivery::dispatch(&ctx, mails).await;
            Ok(see_other(&format!("/permintaan/{}?ok=disimpan", request.id)))
        }
        Err(AppError::Invalid(errors)) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, None, &form, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<Flash>) -> PageResult {
    show_page(&ctx, &v, &auth, id, StatusCode::OK, flash(q.ok()), &FieldErrors::new()).await
}

async fn show_page(ctx: &AppContext, v: &ViewEngine<TeraView>, auth: &Auth, id: i32, status: StatusCode, flash: Value, errors: &FieldErrors) -> PageResult {
    let viewer = viewer(auth)?;
    let d = Detail::load(&ctx.db, viewer, id).await?;
    let open = d.request.status() == Status::Submitted;
    let timeline: Vec<_> = d.timeline.iter().map(|e| e.entry()).collect();
    app_page(
        v,
        auth,
        status,
        "requests/show.html",
        "permintaan",
        json!({
            "r": d.request, "status": d.request.status.badge(), "percent": d.request.status.percent(), "institution": d.institution, "producer": d.producer,
            "machine_type": d.machine_type, "timeline": timeline, "download_name": d.request.download_name(),
            "can_edit": open && matches!(viewer, Viewer::Requester(_)), "can_decide": open && matches!(viewer, Viewer::Producer(_)),
            "submission": d.submission.as_ref().map(|s| {
                let st = s.status();
                json!({ "id": s.id, "number": s.number, "ticket": s.ticket_code, "label": st.label(), "code": st.as_str(), "percent": st.percent(), "start": s.estimated_start, "finish": s.estimated_finish })
            }),
            "flash": flash, "errors": errors,
        }),
    )
}

async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let Viewer::Requester(org) = Viewer::of(auth.user()) else { return Err(Failure::forbidden()) };
    let request = Model::find_for(&ctx.db, Viewer::Requester(org), id).await?;
    if request.status() != Status::Submitted {
        return Err(Failure::conflict(&format!("Permintaan {} sudah {} dan tidak dapat diubah lagi.", request.number, request.status().label())));
    }
    form_page(&ctx, &v, &auth, StatusCode::OK, Some(id), &Form::from_model(&request), &FieldErrors::new()).await
}

async fn update(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, multipart: Multipart) -> PageResult {
    require_requester(&auth)?;
    let (fields, file) = read_multipart(multipart, "file").await?;
    let form = form_from(&fields);
    let letter = file.map(|(bytes, file_name)| Letter { bytes, file_name });
    let settings = Settings::get(&ctx);
    match ActiveModel::edit(&ctx.db, auth.user(), id, &form, letter.as_ref(), &env(&settings, &auth)).await {
        Ok(_) => Ok(see_other(&format!("/permintaan/{id}?ok=disimpan"))),
        Err(AppError::Invalid(errors)) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, Some(id), &form, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn withdraw(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    ActiveModel::withdraw(&db, auth.user(), id, auth.ip()).await?;
    Ok(see_other(&format!("/permintaan/{id}?ok=ditarik")))
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn decide(ctx: &AppContext, auth: &Auth, ids: &[i32], to: Status, reason: &str) -> Result<(), AppError> {
    let settings = Settings::get(ctx);
    let (_, mails) = ActiveModel::decide_as_producer(&ctx.db, auth.user(), ids, to, reason, &env(&settings, auth)).await?;
    MailDelivery::dispatch(ctx, mails).await;
    Ok(())
}

async fn approve(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    decide(&ctx, &auth, &[id], Status::Approved, "").await?;
    Ok(see_other(&format!("/permintaan/{id}?ok=disetujui")))
}

async fn reject(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, AxumForm(form): AxumForm<RejectForm>) -> PageResult {
    match decide(&ctx, &auth, &[id], Status::Rejected, &form.reason).await {
        Ok(()) => Ok(see_other(&format!("/permintaan/{id}?ok=ditolak"))),
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The `ids` of a urlencoded form (`ids=1&ids=2`).
fn ids_of(body: &Bytes) -> Vec<i32> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    pairs.into_iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect()
}

/// Bulk approve, step 1: shows what would change; nothing changes yet.
async fn bulk_preview(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, body: Bytes) -> PageResult {
    let Viewer::Producer(org) = Viewer::of(auth.user()) else { return Err(Failure::forbidden()) };
    let ids = ids_of(&body);
    requests::check_selection(&ids)?;
    let mut rows = Vec::new();
    for request in Model::find_all_for(&db, Viewer::Producer(org), &ids).await? {
        let ok = request.status().can_become(Status::Approved);
        rows.push(json!({ "r": request, "status": request.status.badge(), "ok": ok }));
    }
    let approvable = rows.iter().filter(|r| r["ok"] == json!(true)).count();
    app_page(&v, &auth, StatusCode::OK, "requests/bulk.html", "permintaan", json!({ "rows": rows, "approvable": approvable }))
}

/// Bulk approve, step 2: approves every selected request in one
/// transaction, or none if any of them cannot be approved.
async fn bulk_approve(State(ctx): State<AppContext>, auth: Auth, body: Bytes) -> PageResult {
    let ids = ids_of(&body);
    decide(&ctx, &auth, &ids, Status::Approved, "").await?;
    Ok(see_other("/permintaan?ok=disetujui"))
}

/// The letter, always as an attachment named `Permintaan-<no>.<ext>`.
async fn download(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let request = Model::find_for(&ctx.db, viewer(&auth)?, id).await?;
    attachment(&Settings::get(&ctx).upload_dir, FILE_AREA, &request.file_key, &request.file_kind, &request.download_name()).await
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/permintaan", axum::routing::get(index).post(create))
        .add("/permintaan/baru", axum::routing::get(new))
        .add("/permintaan/setujui-massal", axum::routing::post(bulk_preview))
        .add("/permintaan/setujui-massal/konfirmasi", axum::routing::post(bulk_approve))
        .add("/permintaan/{id}", axum::routing::get(show).post(update))
        .add("/permintaan/{id}/ubah", axum::routing::get(edit))
        .add("/permintaan/{id}/tarik", axum::routing::post(withdraw))
        .add("/permintaan/{id}/setujui", axum::routing::post(approve))
        .add("/permintaan/{id}/tolak", axum::routing::post(reject))
        .add("/permintaan/{id}/berkas", axum::routing::get(download))
}
