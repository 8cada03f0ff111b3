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
use std::collections::HashMap;

use super::Db;
use super::{app_page, read_multipart_files, see_other, send_file, session::Auth, strip_page, Failure, Flash, PageResult};
use crate::{
    models::{
        activations::{documents as activation_documents, readers_xlsx},
        activations::{
            editing, import,
            lifecycle::{self, Letter},
            list::{self, ActivationQuery, Sort},
            readers::{self, ReaderInput},
            ActivationKey, ReaderStatus, RequestStatus,
        },
        imports::{workbook::RowError, Slots},
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
/// The form's file input for the Excel list of readers.
const READERS_FILE: &str = "readers_file";

fn key(ctx: &AppContext) -> Result<ActivationKey, AppError> {
    ctx.shared_store.get::<ActivationKey>().ok_or_else(|| AppError::Internal("no activation key".into()))
}

async fn index(
    Db(db): Db,
    v: ViewEngine<TeraView>,
    auth: Auth,
    Query(q): Query<ActivationQuery>,
    RawQuery(raw): RawQuery,
    Query(f): Query<Flash>,
) -> PageResult {
    let asked = q.parse();
    let page = asked.page(&db, auth.user(), PER_PAGE).await?;
    let statuses: Vec<Value> = RequestStatus::ALL.iter().map(|s| json!([s.as_str(), s.label()])).collect();
    let reader_statuses: Vec<Value> = ReaderStatus::ALL.iter().map(|s| json!([s.as_str(), s.label()])).collect();
    let sorts: Vec<Value> = Sort::ALL.iter().map(|s| json!([s.code(), s.label()])).collect();
    let may_file = !list::institutions_for(&db, auth.user()).await?.is_empty();
    let shown = json!({
        "status": asked.status.map_or("", RequestStatus::as_str), "reader": asked.reader.map_or("", ReaderStatus::as_str),
        "reader_label": asked.reader.map(ReaderStatus::label), "q": q.q.trim().chars().take(list::MAX_TERM).collect::<String>(), "sort": asked.sort.code(),
    });
    let data = json!({
        "rows": page.rows, "q": shown, "statuses": statuses, "reader_statuses": reader_statuses, "sorts": sorts,
        "readers_in_status": page.readers_in_status.map(crate::locale::group_thousands),
        "pager": pager(&page.window, &strip_page(raw.as_deref())), "may_file": may_file, "flash": flash(f.ok()),
    });
    app_page(&v, &auth, StatusCode::OK, "activations/index.html", "aktivasi", data)
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    status: StatusCode,
    values: &Value,
    errors: &FieldErrors,
    rows: &[String],
    edit: Option<Value>,
) -> PageResult {
    let institutions: Vec<Value> = list::institutions_for(&ctx.db, auth.user()).await?.into_iter().map(|o| json!([o.id.to_string(), o.name])).collect();
    if institutions.is_empty() && edit.is_none() {
        return Err(AppError::NotFound.into());
    }
    let types = active_types(ctx).await?;
    let lines: Vec<usize> = (1..=FORM_LINES).collect();
    let data = json!({ "institutions": institutions, "types": types, "values": values, "errors": errors, "row_errors": rows, "lines": lines, "edit": edit, "max_readers": readers::MAX_READERS });
    app_page(v, auth, status, "activations/new.html", "aktivasi", data)
}

async fn new(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    let today = chrono::Utc::now().with_timezone(&crate::locale::wib()).date_naive().to_string();
    form_page(&ctx, &v, &auth, StatusCode::OK, &json!({ "letter_date": today }), &FieldErrors::new(), &[], None).await
}

async fn create(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, multipart: Multipart) -> PageResult {
    let (fields, mut files) = read_multipart_files(multipart, &["file", READERS_FILE]).await?;
    let fields: HashMap<String, String> = fields.into_iter().collect();
    let f = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let file = files.remove("file");
    let values = json!(fields);
    let mut errors = FieldErrors::new();
    let institution = f("institution_id").parse::<i32>().ok();
    if institution.is_none() {
        errors.add("institution_id", "Pilih lembaga pengguna pemilik card reader.");
    }
    let date = letter_fields(&fields, &mut errors);
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
    let lines = reader_lines(&ctx, &fields, files.remove(READERS_FILE), &mut errors).await?;
    if !errors.is_empty() || lines.is_err() {
        let rows = shown(lines.err().unwrap_or_default());
        return form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, &rows, None).await;
    }
    let (institution, date, checked, lines) = (institution.expect("checked"), date.expect("checked"), checked.expect("checked"), lines.unwrap_or_default());
    // The lines before the letter is stored: a refused list leaves no file.
    if let Err(rows) = readers::check_for(&ctx.db, auth.user(), institution, &lines).await? {
        return form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &FieldErrors::new(), &shown(rows), None).await;
    }
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
    let filed = lifecycle::file(&ctx.db, auth.user(), institution, &letter, &lines, auth.ip()).await;
    if !matches!(filed, Ok(Ok(_))) {
        uploads::discard(&settings.upload_dir, FILE_AREA, &letter.file_key).await;
    }
    match filed? {
        Ok(id) => Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-diajukan"))),
        Err(rows) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &FieldErrors::new(), &shown(rows), None).await,
    }
}

// ---------------------------------------------------------------------------
// The Excel list of readers, and a request changed while new
// ---------------------------------------------------------------------------

/// The letter number and date of a filing form (errors to `errors`); the
/// date when valid.
fn letter_fields(fields: &HashMap<String, String>, errors: &mut FieldErrors) -> Option<chrono::NaiveDate> {
    let number = fields.get("letter_number").map(|v| v.trim()).unwrap_or_default();
    if number.is_empty() || number.chars().count() > 100 {
        errors.add("letter_number", "Nomor surat wajib diisi (maksimal 100 karakter).");
    }
    let date = fields.get("letter_date").and_then(|d| chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
    if date.is_none() {
        errors.add("letter_date", "Tanggal surat wajib diisi (tttt-bb-hh).");
    }
    date
}

/// The lines typed on the form (a line with no serial and no Nomor Perso
/// is empty).
fn typed_lines(fields: &HashMap<String, String>) -> Vec<ReaderInput> {
    let f = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    (1..=FORM_LINES)
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
        .collect()
}

/// The readers of a filing form: the typed lines, or the uploaded Excel
/// list (read in an import slot, or at once 503 busy), when no line is
/// typed too (else a field error and no lines).
async fn reader_lines(
    ctx: &AppContext,
    fields: &HashMap<String, String>,
    list: Option<(Vec<u8>, String)>,
    errors: &mut FieldErrors,
) -> Result<Result<Vec<ReaderInput>, Vec<RowError>>, Failure> {
    let typed = typed_lines(fields);
    let Some((bytes, _)) = list else { return Ok(Ok(typed)) };
    if !typed.is_empty() {
        errors.add(
            READERS_FILE,
            "Isi daftar card reader dengan mengetik baris atau dengan berkas Excel, tidak keduanya: kosongkan baris yang diketik, atau jangan pilih berkas Excel.",
        );
        return Ok(Ok(Vec::new()));
    }
    Ok(import::read(&Slots::of(ctx), bytes).await?)
}

/// Row problems as the form lists them (at most 200 and a count).
fn shown(rows: Vec<RowError>) -> Vec<String> {
    import::capped(rows).iter().map(ToString::to_string).collect()
}

/// The reader-list template (.xlsx), with the active machine types.
async fn template(State(ctx): State<AppContext>, auth: Auth) -> PageResult {
    if list::institutions_for(&ctx.db, auth.user()).await?.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let types = active_types(&ctx).await?;
    let bytes = crate::models::heavy::run(move || import::template(&types))
        .await
        .map_err(|e| AppError::Internal(format!("template task: {e}")))?
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(send_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", import::TEMPLATE_NAME, bytes))
}

async fn active_types(ctx: &AppContext) -> Result<Vec<String>, AppError> {
    use crate::models::_entities::machine_types;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    Ok(machine_types::Entity::find()
        .filter(machine_types::Column::Active.eq(true))
        .order_by_asc(machine_types::Column::Name)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect())
}

/// What the form shows of the request being changed.
async fn edit_info(ctx: &AppContext, r: &crate::models::_entities::activation_requests::Model, count: usize) -> Result<Value, AppError> {
    use sea_orm::EntityTrait;
    let institution = crate::models::_entities::organisations::Entity::find_by_id(r.institution_id).one(&ctx.db).await?.map(|o| o.name).unwrap_or_default();
    Ok(json!({ "id": r.id, "letter_number": r.letter_number, "institution": institution, "count": count, "file_name": r.file_name }))
}

/// Ubah: the filing form with the request as it is.
async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let (r, lines) = editing::editable(&ctx.db, auth.user(), id).await?;
    let mut values = json!({ "letter_number": r.letter_number, "letter_date": r.letter_date.to_string() });
    if lines.len() <= FORM_LINES {
        for (i, l) in (1..).zip(&lines) {
            for (name, value) in FIELDS.iter().zip([&l.reader_type, &l.reader_serial, &l.sam_serial, &l.perso_number, &l.province, &l.city, &l.note]) {
                values[format!("{name}_{i}")] = json!(value);
            }
        }
    }
    let info = edit_info(&ctx, &r, lines.len()).await?;
    form_page(&ctx, &v, &auth, StatusCode::OK, &values, &FieldErrors::new(), &[], Some(info)).await
}

async fn update(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, multipart: Multipart) -> PageResult {
    let (r, current) = editing::editable(&ctx.db, auth.user(), id).await?;
    let (fields, mut files) = read_multipart_files(multipart, &["file", READERS_FILE]).await?;
    let fields: HashMap<String, String> = fields.into_iter().collect();
    let values = json!(fields);
    let mut errors = FieldErrors::new();
    let date = letter_fields(&fields, &mut errors);
    let upload = files.remove("file").map(|(bytes, file_name)| Upload { bytes, file_name });
    let letter = match upload.as_ref().map(Upload::check) {
        Some(Ok(c)) => Some(editing::NewLetter { bytes: c.bytes().to_vec(), kind: c.kind().extension().to_string(), file_name: c.file_name().to_string() }),
        Some(Err(AppError::Invalid(e))) => {
            errors.add("file", e.get("file").unwrap_or_default());
            None
        }
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    let lines = reader_lines(&ctx, &fields, files.remove(READERS_FILE), &mut errors).await?;
    let info = edit_info(&ctx, &r, current.len()).await?;
    let (Some(date), true, Ok(lines)) = (date, errors.is_empty(), &lines) else {
        let rows = shown(lines.err().unwrap_or_default());
        return form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, &rows, Some(info)).await;
    };
    let changes = editing::Changes {
        letter_number: fields.get("letter_number").map(|n| n.trim().to_string()).unwrap_or_default(),
        letter_date: date,
        letter,
        lines: lines.clone(),
    };
    let settings = Settings::get(&ctx);
    let files = editing::Files { dir: &settings.upload_dir, area: FILE_AREA };
    match editing::edit(&ctx.db, files, auth.user(), id, changes, auth.ip()).await {
        Ok(Ok(())) => Ok(see_other(&format!("/aktivasi/{id}?ok=aktivasi-diubah"))),
        Ok(Err(rows)) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &FieldErrors::new(), &shown(rows), Some(info)).await,
        Err(AppError::Invalid(errors)) => form_page(&ctx, &v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &values, &errors, &[], Some(info)).await,
        Err(e) => Err(e.into()),
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
    let estimate = crate::models::activations::estimate(&ctx.db, r.created_at).await?;
    let timeline: Vec<_> = list::timeline(&ctx.db, &r, &readers).await?.iter().map(crate::models::audit_events::Model::entry).collect();
    let data = json!({
        "timeline": timeline,
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

pub use crate::models::activations::ESTIMATE_DAYS;

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

async fn withdraw(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    lifecycle::end(&db, auth.user(), id, RequestStatus::Withdrawn, "", auth.ip()).await?;
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
        .add("/aktivasi/template", axum::routing::get(template))
        .add("/aktivasi/{id}/ubah", axum::routing::get(edit).post(update))
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

async fn readers_download(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let (name, bytes) = readers_xlsx::download(&db, auth.user(), id).await?;
    Ok(send_file(XLSX, &name, bytes))
}
