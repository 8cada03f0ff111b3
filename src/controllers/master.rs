//! Master Data (admin only): organisations, Jenis Mesin, Dukcapil officials,
//! stations and holidays share one set of list/new/edit/(de)activate pages,
//! described per kind by a `Kind` below.
use std::future::Future;

use axum::{
    extract::{Path, Query, RawQuery},
    http::StatusCode,
    Form,
};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use sea_orm::{ActiveModelBehavior, ActiveModelTrait, DatabaseConnection, FromQueryResult, IntoActiveModel};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;

use super::Db;
use super::{
    app_page, see_other,
    session::{Admin, Auth},
    strip_page, PageResult,
};
use crate::{
    models::{
        holidays, machine_types,
        master_data::{self, ListQuery, Record},
        officials, organisations,
        roles::OrgKind,
        stations, users, AppError, FieldErrors,
    },
    views::layout::{flash_from_query, pager},
};

const PER_PAGE: u64 = 20;

/// One input of a master-data form.
#[derive(Debug, Serialize)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `textarea`, `number`, `date` or `select`.
    pub input: &'static str,
    pub required: bool,
    pub hint: &'static str,
    pub options: &'static [(&'static str, &'static str)],
}

const fn field(name: &'static str, label: &'static str, input: &'static str, required: bool, hint: &'static str) -> Field {
    Field { name, label, input, required, hint, options: &[] }
}

/// A kind of master data: its pages, its form and how it saves.
pub trait Kind: Send + Sync + 'static {
    type Model: Record + Serialize + FromQueryResult + IntoActiveModel<Self::Active> + Send + Sync + 'static;
    type Active: ActiveModelTrait<Entity = <Self::Model as Record>::Entity> + ActiveModelBehavior + Send + 'static;
    type Form: DeserializeOwned + Serialize + Default + Send + Sync + 'static;
    /// URL segment under `/master/`.
    const SLUG: &'static str;
    const TITLE: &'static str;
    const SINGULAR: &'static str;
    const FIELDS: &'static [Field];
    /// (heading, JSON key of the serialized model) per list column.
    const COLUMNS: &'static [(&'static str, &'static str)];

    fn form_of(model: &Self::Model) -> Self::Form;
    fn save(
        form: &Self::Form,
        db: &DatabaseConnection,
        admin: &users::Model,
        existing: Option<Self::Model>,
        ip: &str,
    ) -> impl Future<Output = Result<Self::Model, AppError>> + Send;
}

pub struct Organisations;
pub struct MachineTypes;
pub struct Officials;
pub struct Stations;
pub struct Holidays;

const ORG_KINDS: &[(&str, &str)] =
    &[("pusat", "Dukcapil Pusat"), ("produsen", "Produsen"), ("lembaga", "Lembaga Pengguna"), ("dukcapil_kota", "Dukcapil Kabupaten/Kota")];

impl Kind for Organisations {
    type Model = organisations::Model;
    type Active = organisations::ActiveModel;
    type Form = organisations::Form;
    const SLUG: &'static str = "organisasi";
    const TITLE: &'static str = "Organisasi";
    const SINGULAR: &'static str = "organisasi";
    const FIELDS: &'static [Field] = &[
        field("name", "Nama Organisasi", "text", true, ""),
        Field { name: "kind", label: "Jenis", input: "select", required: true, hint: "", options: ORG_KINDS },
        field("address", "Alamat", "textarea", false, ""),
        field("phone", "No. Telepon", "text", false, ""),
        field("email", "Email", "text", false, ""),
        field("pic_name", "Nama PIC", "text", false, "Wajib untuk produsen: tercetak sebagai Pihak Kedua pada BAST."),
        field("pic_position", "Jabatan PIC", "text", false, "Wajib untuk produsen."),
        field("pic_address", "Alamat Kantor PIC", "textarea", false, "Wajib untuk produsen."),
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[("Nama", "name"), ("Jenis", "kind_label"), ("PIC", "pic_name"), ("Email", "email")];

    fn form_of(model: &Self::Model) -> Self::Form {
        organisations::Form::from_model(model)
    }
    async fn save(form: &Self::Form, db: &DatabaseConnection, admin: &users::Model, existing: Option<Self::Model>, ip: &str) -> Result<Self::Model, AppError> {
        form.save(db, admin, existing, ip).await
    }
}

impl Kind for MachineTypes {
    type Model = machine_types::Model;
    type Active = machine_types::ActiveModel;
    type Form = machine_types::Form;
    const SLUG: &'static str = "jenis-mesin";
    const TITLE: &'static str = "Jenis Mesin";
    const SINGULAR: &'static str = "jenis mesin";
    const FIELDS: &'static [Field] =
        &[field("name", "Nama Jenis Mesin", "text", true, "Contoh: Type IdGlobalScan GSX-01"), field("description", "Keterangan", "textarea", false, "")];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[("Nama", "name"), ("Keterangan", "description")];

    fn form_of(model: &Self::Model) -> Self::Form {
        machine_types::Form::from_model(model)
    }
    async fn save(form: &Self::Form, db: &DatabaseConnection, admin: &users::Model, existing: Option<Self::Model>, ip: &str) -> Result<Self::Model, AppError> {
        form.save(db, admin, existing, ip).await
    }
}

impl Kind for Officials {
    type Model = officials::Model;
    type Active = officials::ActiveModel;
    type Form = officials::Form;
    const SLUG: &'static str = "pejabat";
    const TITLE: &'static str = "Pejabat Dukcapil";
    const SINGULAR: &'static str = "pejabat";
    const FIELDS: &'static [Field] = &[
        field("name", "Nama Pejabat", "text", true, "Tercetak sebagai Pihak Pertama pada BAST."),
        field("nip", "NIP", "text", false, "18 angka."),
        field("position", "Jabatan", "text", true, ""),
        field("office_address", "Alamat Kantor", "textarea", true, ""),
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[("Nama", "name"), ("NIP", "nip"), ("Jabatan", "position")];

    fn form_of(model: &Self::Model) -> Self::Form {
        officials::Form::from_model(model)
    }
    async fn save(form: &Self::Form, db: &DatabaseConnection, admin: &users::Model, existing: Option<Self::Model>, ip: &str) -> Result<Self::Model, AppError> {
        form.save(db, admin, existing, ip).await
    }
}

impl Kind for Stations {
    type Model = stations::Model;
    type Active = stations::ActiveModel;
    type Form = stations::Form;
    const SLUG: &'static str = "stasiun";
    const TITLE: &'static str = "Stasiun Personalisasi";
    const SINGULAR: &'static str = "stasiun";
    const FIELDS: &'static [Field] = &[
        field("code", "Kode Stasiun", "text", true, "Huruf besar, angka dan '-'; menjadi nama antrean station:<kode>."),
        field("name", "Nama Stasiun", "text", true, ""),
        field("readers", "Jumlah Reader", "number", true, "1–16 reader PC/SC."),
        field("capacity_per_day", "Kapasitas (kartu per 8 jam kerja)", "number", true, "Standar 250 kartu per hari."),
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] =
        &[("Kode", "code"), ("Nama", "name"), ("Reader", "readers"), ("Kapasitas/hari", "capacity_per_day")];

    fn form_of(model: &Self::Model) -> Self::Form {
        stations::Form::from_model(model)
    }
    async fn save(form: &Self::Form, db: &DatabaseConnection, admin: &users::Model, existing: Option<Self::Model>, ip: &str) -> Result<Self::Model, AppError> {
        form.save(db, admin, existing, ip).await
    }
}

impl Kind for Holidays {
    type Model = holidays::Model;
    type Active = holidays::ActiveModel;
    type Form = holidays::Form;
    const SLUG: &'static str = "hari-libur";
    const TITLE: &'static str = "Kalender Hari Libur";
    const SINGULAR: &'static str = "hari libur";
    const FIELDS: &'static [Field] = &[
        field("date", "Tanggal", "date", true, "Sabtu dan Minggu selalu libur; isi hari libur nasional dan cuti bersama."),
        field("name", "Keterangan", "text", true, ""),
    ];
    const COLUMNS: &'static [(&'static str, &'static str)] = &[("Tanggal", "date_label"), ("Keterangan", "name")];

    fn form_of(model: &Self::Model) -> Self::Form {
        holidays::Form::from_model(model)
    }
    async fn save(form: &Self::Form, db: &DatabaseConnection, admin: &users::Model, existing: Option<Self::Model>, ip: &str) -> Result<Self::Model, AppError> {
        form.save(db, admin, existing, ip).await
    }
}

/// The serialized row plus the display-only keys the columns use.
fn row_json<K: Kind>(model: &K::Model) -> serde_json::Value {
    let mut v = serde_json::to_value(model).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        if let Some(kind) = o.get("kind").and_then(|k| k.as_str()).and_then(OrgKind::parse) {
            o.insert("kind_label".into(), kind.label().into());
        }
        if let Some(date) = o.get("date").and_then(|d| d.as_str()).and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
            o.insert("date_label".into(), crate::locale::long_date(date).into());
        }
        for (_, key) in K::COLUMNS {
            if o.get(*key).is_none_or(serde_json::Value::is_null) {
                o.insert((*key).to_string(), "".into());
            }
        }
    }
    v
}

fn kind_json<K: Kind>() -> serde_json::Value {
    json!({ "slug": K::SLUG, "title": K::TITLE, "singular": K::SINGULAR, "fields": K::FIELDS,
            "columns": K::COLUMNS.iter().map(|(h, k)| json!({ "heading": h, "key": k })).collect::<Vec<_>>() })
}

async fn hub(v: ViewEngine<TeraView>, Admin(auth): Admin) -> PageResult {
    let kinds = vec![kind_json::<Organisations>(), kind_json::<MachineTypes>(), kind_json::<Officials>(), kind_json::<Stations>(), kind_json::<Holidays>()];
    app_page(&v, &auth, StatusCode::OK, "master/hub.html", "master", json!({ "kinds": kinds }))
}

async fn index<K: Kind>(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Query(q): Query<ListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let (rows, window) = master_data::page::<K::Model>(&db, &q, PER_PAGE).await?;
    let rows: Vec<_> = rows.iter().map(|m| json!({ "id": m.id(), "active": m.is_active(), "label": m.label(), "data": row_json::<K>(m) })).collect();
    let base = strip_page(raw.as_deref());
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "master/index.html",
        "master",
        json!({ "kind": kind_json::<K>(), "rows": rows, "q": q, "pager": pager(&window, &base), "flash": flash_from_query(raw.as_deref()) }),
    )
}

fn form_page<K: Kind>(v: &ViewEngine<TeraView>, auth: &Auth, status: StatusCode, id: Option<i32>, form: &K::Form, errors: &FieldErrors) -> PageResult {
    app_page(v, auth, status, "master/form.html", "master", json!({ "kind": kind_json::<K>(), "id": id, "values": form, "errors": errors }))
}

async fn new<K: Kind>(v: ViewEngine<TeraView>, Admin(auth): Admin) -> PageResult {
    form_page::<K>(&v, &auth, StatusCode::OK, None, &K::Form::default(), &FieldErrors::new())
}

async fn create<K: Kind>(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Form(form): Form<K::Form>) -> PageResult {
    match K::save(&form, &db, auth.user(), None, auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/master/{}?ok=disimpan", K::SLUG))),
        Err(AppError::Invalid(errors)) => form_page::<K>(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, None, &form, &errors),
        Err(e) => Err(e.into()),
    }
}

async fn edit<K: Kind>(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    let model: K::Model = master_data::find(&db, id).await?;
    form_page::<K>(&v, &auth, StatusCode::OK, Some(id), &K::form_of(&model), &FieldErrors::new())
}

async fn update<K: Kind>(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<i32>, Form(form): Form<K::Form>) -> PageResult {
    let model: K::Model = master_data::find(&db, id).await?;
    match K::save(&form, &db, auth.user(), Some(model), auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/master/{}?ok=disimpan", K::SLUG))),
        Err(AppError::Invalid(errors)) => form_page::<K>(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, Some(id), &form, &errors),
        Err(e) => Err(e.into()),
    }
}

async fn activate<K: Kind>(Db(db): Db, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    master_data::set_active::<K::Model, K::Active>(&db, auth.user(), id, true, auth.ip()).await?;
    Ok(see_other(&format!("/master/{}?ok=diaktifkan", K::SLUG)))
}

async fn deactivate<K: Kind>(Db(db): Db, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    master_data::set_active::<K::Model, K::Active>(&db, auth.user(), id, false, auth.ip()).await?;
    Ok(see_other(&format!("/master/{}?ok=dinonaktifkan", K::SLUG)))
}

fn kind_routes<K: Kind>(routes: Routes) -> Routes {
    let base = format!("/master/{}", K::SLUG);
    routes
        .add(&base, axum::routing::get(index::<K>).post(create::<K>))
        .add(&format!("{base}/baru"), axum::routing::get(new::<K>))
        .add(&format!("{base}/{{id}}"), axum::routing::get(edit::<K>).post(update::<K>))
        .add(&format!("{base}/{{id}}/aktifkan"), axum::routing::post(activate::<K>))
        .add(&format!("{base}/{{id}}/nonaktifkan"), axum::routing::post(deactivate::<K>))
}

pub fn routes() -> Routes {
    let routes = Routes::new().add("/master", axum::routing::get(hub));
    let routes = kind_routes::<Organisations>(routes);
    let routes = kind_routes::<MachineTypes>(routes);
    let routes = kind_routes::<Officials>(routes);
    let routes = kind_routes::<Stations>(routes);
    kind_routes::<Holidays>(routes)
}
