//! Permintaan Personalisasi: a user institution (or a regency/city registry
//! office) asks a producer for SAM cards; the producer approves or rejects.
//!
//! Status machine (DESIGN §1): `submitted → approved | rejected`, later
//! `approved → bundled → done → received`. The requester may also withdraw
//! (`submitted → withdrawn`) — DESIGN lists editing and withdrawing but no
//! state for it; `withdrawn` is terminal and keeps the record and its audit.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    prelude::Expr, sea_query::{Alias, ExprTrait as _, LikeExpr}, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::personalization_requests::{ActiveModel, Column, Entity, Model, Relation};
use super::{
    _entities::{audit_events, machine_types, organisations, users},
    audit_events::{Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    master_data::check_len,
    roles::{OrgKind, Role},
    uploads::{self, Kind},
};

/// The audit subject type; the request's timeline is its audit rows.
pub const SUBJECT: &str = "permintaan";
/// Folder (under the upload dir) of request letters.
pub const FILE_AREA: &str = "requests";
pub const FILE_MAX_BYTES: usize = 3 * 1024 * 1024;
pub const QTY_MAX: i32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Approved,
    Rejected,
    Withdrawn,
    Bundled,
    Done,
    Received,
}

impl Status {
    const ALL: [Self; 7] = [Self::Submitted, Self::Approved, Self::Rejected, Self::Withdrawn, Self::Bundled, Self::Done, Self::Received];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Bundled => "bundled",
            Self::Done => "done",
            Self::Received => "received",
        }
    }

    /// The seed's labels: On Progress / Approved / Rejected, and the later stages.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Submitted => "On Progress",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Withdrawn => "Ditarik",
            Self::Bundled => "Dalam Pengajuan",
            Self::Done => "Selesai Personalisasi",
            Self::Received => "Diterima",
        }
    }

    /// The only legal moves.
    #[must_use]
    pub fn can_become(self, to: Self) -> bool {
        use Status::{Approved, Bundled, Done, Received, Rejected, Submitted, Withdrawn};
        // `bundled → approved` frees a request when its submission is removed
        // or rejected (the submission issue asks for it; DESIGN lists no
        // way back).
        matches!(
            (self, to),
            (Submitted, Approved | Rejected | Withdrawn) | (Approved, Bundled) | (Bundled, Approved | Done) | (Done, Received)
        )
    }
}

/// Who looks at requests, and which ones they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Its own organisation's requests; may create, edit and withdraw.
    Requester(i32),
    /// Requests addressed to it; may approve or reject.
    Producer(i32),
    /// Everything, read-only.
    Admin,
    Nobody,
}

impl Viewer {
    #[must_use]
    pub fn of(user: &users::Model) -> Self {
        match (Role::parse(&user.role), user.organisation_id) {
            (Some(Role::Admin), _) => Self::Admin,
            (Some(Role::Lembaga | Role::DukcapilKota), Some(org)) => Self::Requester(org),
            (Some(Role::Produsen), Some(org)) => Self::Producer(org),
            _ => Self::Nobody,
        }
    }

    fn condition(self) -> Condition {
        match self {
            Self::Requester(org) => Condition::all().add(Column::OrganisationId.eq(org)),
            Self::Producer(org) => Condition::all().add(Column::ProducerId.eq(org)),
            Self::Admin => Condition::all(),
            Self::Nobody => Condition::all().add(Expr::val(1).eq(0)),
        }
    }
}

impl Model {
    #[must_use]
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Submitted)
    }

    /// The download name: `Permintaan-<no>.<ext>`, the number made safe.
    #[must_use]
    pub fn download_name(&self) -> String {
        uploads::download_name("Permintaan", &self.number, &self.file_kind)
    }

    /// A request the viewer may see, or `NotFound` — scoped in the query.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or is outside the viewer's scope.
    pub async fn find_for<C: ConnectionTrait>(db: &C, viewer: Viewer, id: i32) -> AppResult<Self> {
        Entity::find_by_id(id).filter(viewer.condition()).one(db).await?.ok_or(AppError::NotFound)
    }
}

/// A request with the names the pages show.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub request: Model,
    pub institution: organisations::Model,
    pub producer: organisations::Model,
    pub machine_type: String,
    pub timeline: Vec<audit_events::Model>,
    /// The submission carrying the request, once a producer bundled it.
    pub submission: Option<super::_entities::submissions::Model>,
}

impl Detail {
    /// # Errors
    /// `NotFound` outside the viewer's scope.
    pub async fn load(db: &DatabaseConnection, viewer: Viewer, id: i32) -> AppResult<Self> {
        let request = Model::find_for(db, viewer, id).await?;
        let institution = organisations::Entity::find_by_id(request.organisation_id).one(db).await?.ok_or(AppError::NotFound)?;
        let producer = organisations::Entity::find_by_id(request.producer_id).one(db).await?.ok_or(AppError::NotFound)?;
        let machine_type = machine_types::Entity::find_by_id(request.machine_type_id).one(db).await?.map(|m| m.name).unwrap_or_default();
        let timeline = audit_events::Entity::find()
            .filter(audit_events::Column::SubjectType.eq(SUBJECT))
            .filter(audit_events::Column::SubjectId.eq(request.id))
            .order_by_asc(audit_events::Column::Id)
            .all(db)
            .await?;
        let submission = match request.submission_id {
            Some(id) => super::_entities::submissions::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        Ok(Self { request, institution, producer, machine_type, timeline, submission })
    }
}

/// One row of the tables.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct Row {
    pub id: i32,
    pub number: String,
    pub title: String,
    pub request_date: NaiveDate,
    pub quantity: i32,
    pub status: String,
    pub file_kind: String,
    pub institution: String,
    pub producer: String,
}

/// The list's query string: status filter, search, sort and page.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListQuery {
    /// `progress`, `approved`, `rejected` or empty for all.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    /// `asc` for oldest first; newest first otherwise.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: Option<u64>,
}

impl ListQuery {
    #[must_use]
    pub fn page_number(&self) -> u64 {
        Ord::max(self.page.unwrap_or(1), 1)
    }

    /// One page of rows and whether another follows. Pages are fetched one
    /// row long instead of counting the whole table: the producer's table
    /// stays fast at 100,000 requests.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page(&self, db: &DatabaseConnection, viewer: Viewer, per_page: u64) -> AppResult<(Vec<Row>, bool)> {
        let q = self.select(viewer);
        let mut rows = q.offset((self.page_number() - 1) * per_page).limit(per_page + 1).into_model::<Row>().all(db).await?;
        let more = rows.len() as u64 > per_page;
        rows.truncate(per_page as usize);
        Ok((rows, more))
    }

    /// The list's SELECT (without paging), e.g. to explain its plan.
    #[must_use]
    pub fn select(&self, viewer: Viewer) -> sea_orm::Select<Entity> {
        let inst = Alias::new("inst");
        let prod = Alias::new("prod");
        let mut q = Entity::find()
            .select_only()
            .columns([Column::Id, Column::Number, Column::Title, Column::RequestDate, Column::Quantity, Column::Status, Column::FileKind])
            .column_as(Expr::col((inst.clone(), organisations::Column::Name)), "institution")
            .column_as(Expr::col((prod.clone(), organisations::Column::Name)), "producer")
            .join_as(JoinType::InnerJoin, Relation::Organisation.def(), inst)
            .join_as(JoinType::InnerJoin, Relation::Producer.def(), prod)
            .filter(viewer.condition());
        let statuses: &[Status] = match self.status.as_str() {
            "progress" => &[Status::Submitted],
            "approved" => &[Status::Approved, Status::Bundled, Status::Done, Status::Received],
            "rejected" => &[Status::Rejected],
            _ => &[],
        };
        if !statuses.is_empty() {
            q = q.filter(Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        let term = self.q.trim().to_lowercase();
        if !term.is_empty() {
            let pattern = format!("%{}%", term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            q = q.filter(Expr::col((Entity, Column::SearchText)).like(LikeExpr::new(pattern).escape('\\')));
        }
        if self.sort == "asc" {
            q.order_by_asc(Column::RequestDate).order_by_asc(Column::Id)
        } else {
            q.order_by_desc(Column::RequestDate).order_by_desc(Column::Id)
        }
    }
}

/// The create/edit form, as typed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub request_date: String,
    #[serde(default)]
    pub producer_id: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub machine_type_id: String,
    #[serde(default)]
    pub remarks: String,
}

/// An uploaded letter: its bytes and the name the user gave it.
pub struct Letter {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// A letter that passed the checks.
pub struct CheckedLetter<'a> {
    bytes: &'a [u8],
    kind: Kind,
    file_name: String,
}

impl CheckedLetter<'_> {
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        self.bytes
    }
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.kind
    }
    #[must_use]
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

impl Letter {
    /// PDF, JPG or PNG by content, ≤ 3 MB, not empty, and an extension that
    /// agrees with the content (a PNG named `.pdf` is refused).
    ///
    /// # Errors
    /// A field error on `file`.
    pub fn check(&self) -> AppResult<CheckedLetter<'_>> {
        if self.bytes.is_empty() {
            return Err(AppError::field("file", "Berkas kosong. Unggah surat permintaan (PDF, JPG atau PNG)."));
        }
        if self.bytes.len() > FILE_MAX_BYTES {
            return Err(AppError::field("file", "Ukuran berkas melebihi 3 MB."));
        }
        let kind = Kind::sniff(&self.bytes).ok_or_else(|| AppError::field("file", "Berkas harus berupa PDF, JPG atau PNG (isi berkas tidak dikenali)."))?;
        let ext = self.file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let agrees = match kind {
            Kind::Pdf => ext == "pdf",
            Kind::Png => ext == "png",
            Kind::Jpeg => ext == "jpg" || ext == "jpeg",
        };
        if !agrees {
            return Err(AppError::field("file", format!("Isi berkas adalah {} tetapi namanya berakhiran .{ext}. Unggah berkas yang sesuai.", kind.extension().to_uppercase())));
        }
        let file_name: String = self.file_name.chars().filter(|c| !c.is_control()).take(255).collect();
        Ok(CheckedLetter { bytes: &self.bytes, kind, file_name })
    }
}

/// The form's values once valid.
struct Valid {
    number: String,
    title: String,
    date: NaiveDate,
    producer: organisations::Model,
    quantity: i32,
    machine_type: machine_types::Model,
    remarks: Option<String>,
}

impl Form {
    #[must_use]
    pub fn from_model(m: &Model) -> Self {
        Self {
            number: m.number.clone(),
            title: m.title.clone(),
            request_date: m.request_date.to_string(),
            producer_id: m.producer_id.to_string(),
            quantity: m.quantity.to_string(),
            machine_type_id: m.machine_type_id.to_string(),
            remarks: m.remarks.clone().unwrap_or_default(),
        }
    }

    async fn validate(&self, db: &DatabaseConnection, org_id: i32, except: Option<i32>, errors: &mut FieldErrors) -> AppResult<Option<Valid>> {
        let number = self.number.trim();
        check_len(errors, "number", "No. Permintaan", number, 1, 100);
        check_len(errors, "title", "Judul", &self.title, 1, 200);
        check_len(errors, "remarks", "Remarks", &self.remarks, 0, 2000);
        let date = NaiveDate::parse_from_str(self.request_date.trim(), "%Y-%m-%d").ok();
        if date.is_none() {
            errors.add("request_date", "Tgl Permintaan wajib diisi dengan tanggal yang benar.");
        }
        let quantity = match self.quantity.trim().parse::<i64>() {
            Ok(n) if (1..=i64::from(QTY_MAX)).contains(&n) => i32::try_from(n).ok(),
            Ok(_) => {
                errors.add("quantity", format!("Qty harus antara 1 dan {QTY_MAX} keping."));
                None
            }
            Err(_) => {
                errors.add("quantity", "Qty harus berupa angka bulat.");
                None
            }
        };
        let producer = match self.producer_id.trim().parse::<i32>() {
            Ok(id) => organisations::Entity::find_by_id(id)
                .filter(organisations::Column::Kind.eq(OrgKind::Produsen.as_str()))
                .filter(organisations::Column::Active.eq(true))
                .one(db)
                .await?,
            Err(_) => None,
        };
        if producer.is_none() {
            errors.add("producer_id", "Pilih produsen yang aktif.");
        }
        let machine_type = machine_types::Model::chosen(db, &self.machine_type_id, errors).await?;
        if !number.is_empty() {
            let mut dup = Entity::find().filter(Column::OrganisationId.eq(org_id)).filter(Column::Number.eq(number));
            if let Some(id) = except {
                dup = dup.filter(Column::Id.ne(id));
            }
            if dup.count(db).await? > 0 {
                errors.add("number", "No. Permintaan ini sudah dipakai oleh permintaan lain organisasi Anda.");
            }
        }
        Ok(match (date, quantity, producer, machine_type) {
            (Some(date), Some(quantity), Some(producer), Some(machine_type)) if errors.is_empty() => Some(Valid {
                number: number.to_string(),
                title: self.title.trim().to_string(),
                date,
                producer,
                quantity,
                machine_type,
                remarks: Some(self.remarks.trim().to_string()).filter(|r| !r.is_empty()),
            }),
            _ => None,
        })
    }
}

fn requester_org(viewer: Viewer) -> AppResult<i32> {
    match viewer {
        Viewer::Requester(org) => Ok(org),
        _ => Err(AppError::NotFound),
    }
}

pub use super::Env;

/// Active accounts of an organisation (plus its contact email): who is told.
///
/// # Errors
/// On database failure.
pub async fn recipients<C: ConnectionTrait>(db: &C, org: &organisations::Model) -> AppResult<Vec<String>> {
    let mut to: Vec<String> = users::Entity::find()
        .filter(users::Column::OrganisationId.eq(org.id))
        .filter(users::Column::Status.eq(super::users::STATUS_ACTIVE))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    to.extend(org.email.clone());
    Ok(to)
}

impl ActiveModel {
    /// Files a new request (`submitted`) and tells the producer.
    /// The letter is checked and stored before the transaction, which only
    /// inserts the row, its audit row and the mails.
    ///
    /// # Errors
    /// `Invalid` per field; nothing is saved then.
    pub async fn file(db: &DatabaseConnection, user: &users::Model, form: &Form, letter: Option<&Letter>, env: &Env<'_>) -> AppResult<(Model, Vec<i32>)> {
        let org_id = requester_org(Viewer::of(user))?;
        let mut errors = FieldErrors::new();
        let checked = match letter.map(Letter::check) {
            Some(Ok(c)) => Some(c),
            Some(Err(AppError::Invalid(e))) => {
                errors.add("file", e.get("file").unwrap_or_default());
                None
            }
            Some(Err(e)) => return Err(e),
            None => {
                errors.add("file", "Unggah surat permintaan (PDF, JPG atau PNG, maksimal 3 MB).");
                None
            }
        };
        let valid = form.validate(db, org_id, None, &mut errors).await?;
        errors.clone().into_result()?;
        let (valid, checked) = (valid.expect("validated"), checked.expect("checked"));
        let key = uploads::store(env.upload_dir, FILE_AREA, checked.bytes).await?;
        let institution = organisations::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
        let now = Utc::now();
        let txn = crate::models::begin_write(db).await?;
        let inserted = Self {
            organisation_id: Set(org_id),
            producer_id: Set(valid.producer.id),
            machine_type_id: Set(valid.machine_type.id),
            created_by: Set(user.id),
            search_text: Set(search_text(&valid.number, &valid.title, &institution.name)),
            number: Set(valid.number),
            title: Set(valid.title),
            request_date: Set(valid.date),
            quantity: Set(valid.quantity),
            remarks: Set(valid.remarks),
            file_key: Set(key),
            file_kind: Set(checked.kind.extension().to_string()),
            file_name: Set(checked.file_name),
            file_size: Set(i32::try_from(checked.bytes.len()).unwrap_or(i32::MAX)),
            status: Set(Status::Submitted.as_str().to_string()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let request = match inserted {
            Ok(r) => r,
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::field("number", "No. Permintaan ini sudah dipakai oleh permintaan lain organisasi Anda."));
            }
            Err(e) => return Err(e.into()),
        };
        Event::new("request.submitted", SUBJECT)
            .subject(request.id, &request.number)
            .transition("", Status::Submitted.as_str())
            .record(&txn, &Actor::user(user, env.ip))
            .await?;
        let to = recipients(&txn, &valid.producer).await?;
        let mails = crate::mailers::requests::created(&txn, env.base_url, &request, &institution, &valid.producer, &valid.machine_type.name, &to).await?;
        txn.commit().await?;
        Ok((request, mails))
    }

    /// Edits a request that is still `submitted`; a new letter replaces the
    /// old one (the old file is kept: the audit may refer to it).
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided, `Invalid` per field.
    pub async fn edit(db: &DatabaseConnection, user: &users::Model, id: i32, form: &Form, letter: Option<&Letter>, env: &Env<'_>) -> AppResult<Model> {
        let org_id = requester_org(Viewer::of(user))?;
        let existing = Model::find_for(db, Viewer::Requester(org_id), id).await?;
        if existing.status() != Status::Submitted {
            return Err(AppError::Conflict(format!("Permintaan {} sudah {} dan tidak dapat diubah lagi.", existing.number, existing.status().label())));
        }
        let mut errors = FieldErrors::new();
        let checked = match letter.map(Letter::check) {
            Some(Ok(c)) => Some(c),
            Some(Err(AppError::Invalid(e))) => {
                errors.add("file", e.get("file").unwrap_or_default());
                None
            }
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let valid = form.validate(db, org_id, Some(id), &mut errors).await?;
        errors.into_result()?;
        let valid = valid.expect("validated");
        let stored = match &checked {
            Some(c) => Some(uploads::store(env.upload_dir, FILE_AREA, c.bytes).await?),
            None => None,
        };
        let institution = organisations::Entity::find_by_id(org_id).one(db).await?.ok_or(AppError::NotFound)?;
        let txn = crate::models::begin_write(db).await?;
        let mut row: Self = existing.into();
        row.search_text = Set(search_text(&valid.number, &valid.title, &institution.name));
        row.number = Set(valid.number);
        row.title = Set(valid.title);
        row.request_date = Set(valid.date);
        row.producer_id = Set(valid.producer.id);
        row.quantity = Set(valid.quantity);
        row.machine_type_id = Set(valid.machine_type.id);
        row.remarks = Set(valid.remarks);
        if let (Some(key), Some(c)) = (stored, checked) {
            row.file_key = Set(key);
            row.file_kind = Set(c.kind.extension().to_string());
            row.file_name = Set(c.file_name);
            row.file_size = Set(i32::try_from(c.bytes.len()).unwrap_or(i32::MAX));
        }
        row.updated_at = Set(Utc::now().into());
        // The status guard in the WHERE clause makes a concurrent decision win.
        let result = Entity::update_many().set(row).filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::Submitted.as_str())).exec(&txn).await;
        match result {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => return Err(AppError::Conflict("Permintaan ini baru saja diputuskan produsen dan tidak dapat diubah lagi.".into())),
            Err(e) if is_unique_violation(&e) => return Err(AppError::field("number", "No. Permintaan ini sudah dipakai oleh permintaan lain organisasi Anda.")),
            Err(e) => return Err(e.into()),
        }
        let updated = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
        Event::new("request.edited", SUBJECT).subject(updated.id, &updated.number).record(&txn, &Actor::user(user, env.ip)).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Moves one request from `submitted` to `to`, inside `txn`, guarded in
    /// the UPDATE itself so that two decisions cannot both win.
    async fn decide<C: ConnectionTrait>(txn: &C, request: &Model, to: Status, note: Option<&str>) -> AppResult<Model> {
        if !request.status().can_become(to) {
            return Err(AppError::Conflict(format!(
                "Permintaan {} berstatus {}; tidak dapat diubah menjadi {}.",
                request.number,
                request.status().label(),
                to.label()
            )));
        }
        let now = Utc::now();
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to.as_str()))
            .col_expr(Column::DecisionNote, Expr::value(note.map(str::to_string)))
            .col_expr(Column::DecidedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)))
            .col_expr(Column::UpdatedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)))
            .filter(Column::Id.eq(request.id))
            .filter(Column::Status.eq(request.status.as_str()))
            .exec(txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(AppError::Conflict(format!("Permintaan {} baru saja diubah oleh pengguna lain. Muat ulang halaman.", request.number)));
        }
        Entity::find_by_id(request.id).one(txn).await?.ok_or(AppError::NotFound)
    }

    /// The requester withdraws a request that is still `submitted`.
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided.
    pub async fn withdraw(db: &DatabaseConnection, user: &users::Model, id: i32, ip: &str) -> AppResult<Model> {
        let org_id = requester_org(Viewer::of(user))?;
        let txn = crate::models::begin_write(db).await?;
        let request = Model::find_for(&txn, Viewer::Requester(org_id), id).await?;
        let updated = Self::decide(&txn, &request, Status::Withdrawn, None).await?;
        Event::new("request.withdrawn", SUBJECT)
            .subject(updated.id, &updated.number)
            .transition(request.status.clone(), Status::Withdrawn.as_str())
            .record(&txn, &Actor::user(user, ip))
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// The addressed producer approves (`note` empty) or rejects (reason
    /// required) requests; the institution is told either way. All of `ids`
    /// change in one transaction, or none does.
    ///
    /// # Errors
    /// `NotFound` for a request not addressed to this producer, `Conflict`
    /// for one already decided, `Invalid` for a rejection without reason.
    pub async fn decide_as_producer(
        db: &DatabaseConnection,
        user: &users::Model,
        ids: &[i32],
        to: Status,
        reason: &str,
        env: &Env<'_>,
    ) -> AppResult<(Vec<Model>, Vec<i32>)> {
        let Viewer::Producer(producer_id) = Viewer::of(user) else {
            return Err(AppError::NotFound);
        };
        let reason = check_reason(reason, to == Status::Rejected)?;
        if ids.is_empty() {
            return Err(AppError::Conflict("Pilih minimal satu permintaan.".into()));
        }
        let producer = organisations::Entity::find_by_id(producer_id).one(db).await?.ok_or(AppError::NotFound)?;
        let txn = crate::models::begin_write(db).await?;
        let mut decided = Vec::new();
        let mut mails = Vec::new();
        for id in ids {
            let request = Model::find_for(&txn, Viewer::Producer(producer_id), *id).await?;
            let updated = Self::decide(&txn, &request, to, (to == Status::Rejected).then_some(reason)).await?;
            let mut event = Event::new(if to == Status::Approved { "request.approved" } else { "request.rejected" }, SUBJECT)
                .subject(updated.id, &updated.number)
                .transition(request.status.clone(), to.as_str());
            if to == Status::Rejected {
                event = event.note(reason);
            }
            event.record(&txn, &Actor::user(user, env.ip)).await?;
            let institution = organisations::Entity::find_by_id(updated.organisation_id).one(&txn).await?.ok_or(AppError::NotFound)?;
            let to_addresses = recipients(&txn, &institution).await?;
            mails.extend(crate::mailers::requests::decided(&txn, env.base_url, &updated, &institution, &producer, &to_addresses).await?);
            decided.push(updated);
        }
        txn.commit().await?;
        Ok((decided, mails))
    }
}

/// A rejection needs a reason of 5–1000 characters (trimmed); any other
/// decision takes none.
///
/// # Errors
/// A message on the `reason` field.
pub fn check_reason(reason: &str, rejecting: bool) -> AppResult<&str> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if rejecting && n < 5 {
        return Err(AppError::field("reason", "Alasan penolakan wajib diisi (minimal 5 karakter)."));
    }
    if n > 1000 {
        return Err(AppError::field("reason", "Alasan penolakan maksimal 1000 karakter."));
    }
    Ok(reason)
}

/// What the search box matches: number, title and institution, lower-cased.
#[must_use]
pub fn search_text(number: &str, title: &str, institution: &str) -> String {
    format!("{number} {title} {institution}").to_lowercase()
}

/// A unique index refused the row (two requests racing for one number).
fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string().to_lowercase();
    s.contains("unique") || s.contains("duplicate key")
}

/// Producers and machine types a requester may choose from.
///
/// # Errors
/// On database failure.
pub async fn choices(db: &DatabaseConnection) -> AppResult<(Vec<organisations::Model>, Vec<machine_types::Model>)> {
    let producers = organisations::Entity::find()
        .filter(organisations::Column::Kind.eq(OrgKind::Produsen.as_str()))
        .filter(organisations::Column::Active.eq(true))
        .order_by_asc(organisations::Column::Name)
        .all(db)
        .await?;
    let machines = machine_types::Entity::find().filter(machine_types::Column::Active.eq(true)).order_by_asc(machine_types::Column::Name).all(db).await?;
    Ok((producers, machines))
}
