//! Sistem Aktivasi Kartu SAM: Permohonan Aktivasi (list, form, page),
//! the admin's disposition, manifest downloads, revocation, and the public
//! signed revocation list.
use axum::{
    extract::{Multipart, Path, Query, RawQuery, State},
    http::StatusCode,
    response::IntoResponse,
    Form,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{app_page, read_multipart, see_other, send_file, session::Auth, strip_page, Flash, PageResult};
use crate::{
    models::{
        activations::{documents as activation_documents, readers_xlsx},
        activations::{
            lifecycle::{self, Letter},
            list::{self, ActivationQuery},
            readers::ReaderInput,
            ActivationKey, ReaderStatus, RequestStatus,
        },
        requests::filing::Letter as Upload,
        uploads, AppError, FieldErrors,
    },
    settings::Settings,
    views::layout::{flash, pager},
    workers::documents::DocumentBuilder,
};

const PER_PAGE: u64 = 20;
/// Lines the form offers (bigger lists come from the Excel import).
pub const FORM_LINES: usize = 10;
/// Where the letters of activation requests are stored.
pub const FILE_AREA: &str = "activations";
const FIELDS: [&str; 7] = ["reader_type", "reader_serial", "sam_serial", "perso_number", "province", "city", "note"];

fn key(ctx: &AppContext) -> Result<ActivationKey, AppError> {
    ctx.shared_store.get::<ActivationKey>().ok_or_else(|| AppError::Internal("no activation key".into()))
}

async fn index(
    State(ctx): State<AppContext>,
    v: ViewEngine<TeraView>,
    auth: Auth,
    Query(q): Query<ActivationQuery>,
    RawQuery(raw): RawQuery,
    Query(f): Query<Flash>,
) -> PageResult {
    let (rows, window) = q.page(&ctx.db, auth.user(), PER_PAGE).await?;
    let statuses: Vec<Value> = RequestStatus::ALL.iter().map(|s| json!([s.as_str(), s.label()])).collect();
    let may_file = !list::institutions_for(&ctx.db, auth.user()).await?.is_empty();
    let data = json!({ "rows": rows, "q": q, "statuses": statuses, "pager": pager(&window, &strip_page(raw.as_deref())), "may_file": may_file, "flash": flash(f.ok()) });
    app_page(&v, &auth, StatusCode::OK, "activations/index.html", "aktivasi", data)
}

async fn form_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    status: StatusCode,
    values: &Value,
    errors: &FieldErrors,
    rows: &[String],
) -> PageResult {
    let institutions: Vec<Value> = list::institutions_for(&ctx.db, auth.user()).await?.into_iter().map(|o| json!([o.id.to_string(), o.name])).collect();
    if institutions.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let types: Vec<String> = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        crate::models::_entities::machine_types::Entity::find()
            .filter(crate::models::_entities::machine_types::Column::Active.eq(true))
            .order_by_asc(crate::models::_entities::machine_types::Column::Name)
            .all(&ctx.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|m| m.name)
            .collect()
    };
    let lines: Vec<usize> = (1..=FORM_LINES).collect();
    let data = json!({ "institutions": institutions, "types": types, "values": values, "errors": errors, "row_errors": rows, "lines": lines });
    app_page(v, auth, status, "activations/new.html", "aktivasi", data)
}

async fn new(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    let today = chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive().to_string();
    form_page(&ctx, &v, &auth, StatusCode::OK, &json!({ "letter_date": today }), &FieldErrors::new(), &[]).await
}

async fn create(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, multipart: Multipart) -> PageResult {
    let (fields, file) = read_multipart(multipart, "file").await?;
    let f = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let values = json!(fields);
    let mut errors = FieldErrors::new();
    let institution = f("institution_id").parse::<i32>().ok();
    if institution.is_none() {
        errors.add("institution_id", "Pilih lembaga pengguna pemilik card reader.");
    }
    if f("letter_number").is_empty() || f("letter_number").chars().count() > 100 {
        errors.add("letter_number", "Nomor surat wajib diisi (maksimal 100 karakter).");
    }
    let date = chrono::NaiveDate::parse_from_str(&f("letter_date"), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.add("letter_date", "Tanggal surat wajib diisi (tttt-bb-hh).");
    }
    let upload = file.map(|(bytes, file_name)| Upload { bytes, file_name });
    let checked = match upload.as_ref().map(Upload::check) {
        Some(Ok(c)) => Some(c),
        Some(Err(AppError::Invalid(e))) => {
            errors.add("file", e.get("file").unwrap_or_default());
            None
        }
        Some(Err(e)) => return Err(e.into()),
        None => {
            errors.add("file", "Unggah Surat Permohonan Aktivasi Card Reader Terintegrasi (PDF, JPG atau PNG, maksimal 3 MB).");
            None
        }
    };
    let lines: Vec<ReaderInput> = (1..=FORM_LINES)
        .map(|i| {
            let g = |name: &str| f(&format!("{name}_{i}"));
            ReaderInput {
                row: i,
                reader_type: g("reader_type"),
                reader_serial: g("reader_serial"),
                sam_serial: g("sam_serial"),
                perso_number: g("perso_number"),
                province: g("province"),
                city: g("city"),
                note: g("note"),
            }
        })
        .filter(|l| {
            FIELDS.iter().any(|name| !f(&format!("{name}_{}", l.row)).is_empty())
                && !(l.reader_serial.is_empty() && l.sam_serial.is_empty() && l.perso_number.is_empty())
        })
        .collect();
    if !errors.is_empty() {
        return form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, &[]).await;
    }
    let (institution, date, checked) = (institution.expect("checked"), date.expect("checked"), checked.expect("checked"));
    let settings = Settings::get(&ctx);
    let file_key = uploads::store(&settings.upload_dir, FILE_AREA, checked.bytes()).await?;
    let letter = Letter {
        number: f("letter_number"),
        date,
        file_key,
        file_kind: checked.kind().extension().to_string(),
        file_name: checked.file_name().chars().take(200).collect(),
        file_size: i32::try_from(checked.bytes().len()).unwrap_or(i32::MAX),
    };
    match lifecycle::file(&ctx.db, auth.user(), institution, &letter, &lines, auth.ip()).await? {
        Ok(id) => Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-diajukan"))),
        Err(rows) => {
            let rows: Vec<String> = rows.iter().map(ToString::to_string).collect();
            form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &FieldErrors::new(), &rows).await
        }
    }
}

async fn show_page(ctx: &AppContext, v: &ViewEngine<TeraView>, auth: &Auth, id: i32, status: StatusCode, flash: Value, errors: &FieldErrors) -> PageResult {
    let (r, readers) = list::find_for(&ctx.db, auth.user(), id).await?;
    let institution = {
        use sea_orm::EntityTrait;
        crate::models::_entities::organisations::Entity::find_by_id(r.institution_id)
            .one(&ctx.db)
            .await
            .map_err(AppError::from)?
            .map(|o| o.name)
            .unwrap_or_default()
    };
    let state = RequestStatus::parse(&r.status).unwrap_or(RequestStatus::New);
    let user = auth.user();
    let may_revoke = user.is_admin() || user.organisation_id == Some(r.institution_id);
    let rows: Vec<Value> = readers
        .iter()
        .map(|x| {
            let st = ReaderStatus::parse(&x.status).unwrap_or(ReaderStatus::Pending);
            json!({
                "id": x.id, "row": x.row_no, "reader_serial": x.reader_serial, "sam_serial": x.sam_serial, "perso_number": x.perso_number,
                "region": format!("{} / {}", x.province, x.city), "status": x.status, "status_label": st.label(),
                "number": x.activation_number, "valid_until": x.valid_until.map(crate::locale::date),
                "revoked_on": x.revoked_on.map(crate::locale::date), "revoke_reason": x.revoke_reason,
                "may_revoke": may_revoke && st == ReaderStatus::Active, "has_manifest": x.activation_number.is_some(),
            })
        })
        .collect();
    let estimate =
        crate::models::submissions::calendar(&ctx.db).await?.add_working_days(r.created_at.with_timezone(&crate::locale::wib()).date_naive(), ESTIMATE_DAYS);
    let data = json!({
        "r": { "id": r.id, "letter_number": r.letter_number, "letter_date": crate::locale::date(r.letter_date), "institution": institution,
               "status": r.status, "status_label": state.label(), "reply_number": r.reply_number, "decision_note": r.decision_note },
        "estimate": crate::locale::date(estimate), "estimate_days": ESTIMATE_DAYS,
        "readers": rows, "flash": flash, "errors": errors,
        "may_decide": user.is_admin() && state == RequestStatus::New,
        "may_withdraw": user.id == r.created_by && state == RequestStatus::New,
        "today": chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive().to_string(),
        "documents": documents_json(ctx, auth, &r, state).await?,
    });
    app_page(v, auth, status, "activations/show.html", "aktivasi", data)
}

/// Working days from filing to the reply letter (FAQ: 7).
pub const ESTIMATE_DAYS: u32 = 7;

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<Flash>) -> PageResult {
    show_page(&ctx, &v, &auth, id, StatusCode::OK, flash(q.ok()), &FieldErrors::new()).await
}

async fn approve(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    lifecycle::approve(&ctx.db, auth.user(), id, auth.ip()).await?;
    DocumentBuilder::dispatch(&ctx, activation_documents::queued(&ctx.db, id).await?).await;
    Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-disetujui")))
}

#[derive(Deserialize)]
pub struct Reason {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    date: String,
}

async fn reject(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Form(form): Form<Reason>) -> PageResult {
    match lifecycle::end(&ctx.db, auth.user(), id, RequestStatus::Rejected, &form.reason, auth.ip()).await {
        Ok(()) => Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-ditolak"))),
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn withdraw(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    lifecycle::end(&ctx.db, auth.user(), id, RequestStatus::Withdrawn, "", auth.ip()).await?;
    Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-ditarik")))
}

async fn revoke(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(reader): Path<i32>, Form(form): Form<Reason>) -> PageResult {
    let found = list::reader_for(&ctx.db, auth.user(), reader).await?;
    let date = chrono::NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
        .unwrap_or_else(|_| chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive());
    match lifecycle::revoke(&ctx.db, auth.user(), reader, &form.reason, date, auth.ip()).await {
        Ok(()) => Ok(see_other(&format!("/aktivasi/{}?ok=aktivasi-dicabut", found.request_id))),
        Err(AppError::Invalid(errors)) => show_page(&ctx, &v, &auth, found.request_id, StatusCode::UNPROCESSABLE_ENTITY, Value::Null, &errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn manifest(State(ctx): State<AppContext>, auth: Auth, Path(reader): Path<i32>) -> PageResult {
    list::reader_for(&ctx.db, auth.user(), reader).await?;
    let (name, body) = lifecycle::manifest(&ctx.db, reader, &key(&ctx)?).await?;
    Ok(send_file("application/octet-stream", &name, body.into_bytes()))
}

/// The signed revocation list: public, field software fetches it.
async fn revocations(State(ctx): State<AppContext>) -> PageResult {
    let body = lifecycle::revocation_list(&ctx.db, &key(&ctx)?).await?;
    Ok(send_file("application/octet-stream", "daftar-pencabutan-aktivasi.txt", body.into_bytes()).into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/aktivasi", axum::routing::get(index).post(create))
        .add("/aktivasi/baru", axum::routing::get(new))
        .add("/aktivasi/pencabutan", axum::routing::get(revocations))
        .add("/aktivasi/{id}", axum::routing::get(show))
        .add("/aktivasi/{id}/setujui", axum::routing::post(approve))
        .add("/aktivasi/{id}/tolak", axum::routing::post(reject))
        .add("/aktivasi/{id}/tarik", axum::routing::post(withdraw))
        .add("/aktivasi/reader/{reader}/manifest", axum::routing::get(manifest))
        .add("/aktivasi/reader/{reader}/cabut", axum::routing::post(revoke))
        .add("/aktivasi/{id}/surat-balasan", axum::routing::get(reply_download))
        .add("/aktivasi/{id}/surat-balasan/ulang", axum::routing::post(reply_reorder))
        .add("/aktivasi/{id}/daftar-card-reader", axum::routing::get(readers_download))
}

// ---------------------------------------------------------------------------
// Dokumen: the Surat Balasan Aktivasi (archived, built by the document
// worker) and the Excel list of activated readers (built on demand), both
// for whoever may see the request.
// ---------------------------------------------------------------------------

/// The request page's "Dokumen" section (approved requests only).
async fn documents_json(
    ctx: &AppContext,
    auth: &Auth,
    r: &crate::models::_entities::activation_requests::Model,
    state: RequestStatus,
) -> Result<Value, AppError> {
    if state != RequestStatus::Approved {
        return Ok(Value::Null);
    }
    let reply = activation_documents::reply_state(&ctx.db, r).await?;
    let may_reorder = auth.user().is_admin() && reply.as_ref().is_none_or(|d| d.status != crate::models::documents::DocStatus::Ready);
    Ok(json!({
        "reply": reply,
        "may_reorder": may_reorder,
        "readers_file": uploads::download_name("Daftar-Card-Reader", r.reply_number.as_deref().unwrap_or_default(), "xlsx"),
    }))
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn reply_download(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let (doc, bytes) = activation_documents::reply_download(&ctx.db, &Settings::get(&ctx).upload_dir, auth.user(), id).await?;
    Ok(send_file(DOCX, &doc.file_name, bytes))
}

/// The admin orders a reply letter that failed (or was never made) again.
async fn reply_reorder(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let ids = activation_documents::reorder(&ctx.db, auth.user(), id, auth.ip()).await?;
    DocumentBuilder::dispatch(&ctx, ids).await;
    Ok(see_other(&format!("/aktivasi/{id}?ok=dokumen-diproses")))
}

async fn readers_download(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let (name, bytes) = readers_xlsx::download(&ctx.db, auth.user(), id).await?;
    Ok(send_file(XLSX, &name, bytes))
}
