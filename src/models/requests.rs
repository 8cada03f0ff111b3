//! Permintaan Personalisasi: a user institution (or a regency/city registry
//! office) asks a producer for SAM cards; the producer approves or rejects.
//!
//! Status machine (DESIGN §1): `submitted → approved | rejected`, later
//! `approved → bundled → done → received`. The requester may also withdraw
//! (`submitted → withdrawn`) — DESIGN lists editing and withdrawing but no
//! state for it; `withdrawn` is terminal and keeps the record and its audit.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    prelude::Expr,
    sea_query::{Alias, ExprTrait as _, LikeExpr},
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::personalization_requests::{ActiveModel, Column, Entity, Model, Relation};
use super::{
    _entities::{audit_events, machine_types, organisations, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    master_data::check_len,
    paging::{PageNo, Window},
    roles::{OrgKind, Role},
    uploads::{self, Kind},
};

/// The audit subject type; the request's timeline is its audit rows.
pub const SUBJECT: &str = "permintaan";
/// Folder (under the upload dir) of request letters.
pub const FILE_AREA: &str = "requests";
pub const FILE_MAX_BYTES: usize = 3 * 1024 * 1024;
pub const QTY_MAX: i32 = 10_000;

pub use super::_entities::sea_orm_active_enums::RequestStatus as Status;

impl Status {
    pub const ALL: [Self; 8] = [Self::Submitted, Self::Approved, Self::Rejected, Self::Withdrawn, Self::Bundled, Self::InProgress, Self::Done, Self::Received];

    /// The stored value, also the list filter's and the badges' CSS key.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Bundled => "bundled",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Received => "received",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn badge(self) -> crate::models::Badge {
        crate::models::Badge { code: self.as_str(), label: self.label() }
    }

    /// The seed's labels (On Progress / Approved / Rejected) and the later stages.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Submitted => "On Progress",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Withdrawn => "Ditarik",
            Self::Bundled => "Dalam Pengajuan",
            Self::InProgress => "Dalam Proses",
            Self::Done => "Selesai",
            Self::Received => "Diterima",
        }
    }

    /// Timeline percent of the request's stages: filed 0, approved 20, in a
    /// submission 40, personalizing 60, done 80, received 100.
    #[must_use]
    pub const fn percent(self) -> u8 {
        match self {
            Self::Submitted | Self::Rejected | Self::Withdrawn => 0,
            Self::Approved => 20,
            Self::Bundled => 40,
            Self::InProgress => 60,
            Self::Done => 80,
            Self::Received => 100,
        }
    }

    /// The only legal moves (DESIGN §1). The producer decides a `submitted`
    /// request, the requester may withdraw it; afterwards the request follows
    /// its submission: bundled in it, freed when the submission is rejected
    /// or removed, then in progress, done and received with it.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Submitted, Self::Approved | Self::Rejected | Self::Withdrawn)
                | (Self::Approved, Self::Bundled)
                | (Self::Bundled, Self::Approved | Self::InProgress)
                | (Self::InProgress, Self::Done)
                | (Self::Done, Self::Received)
        )
    }

    /// The audit action that records a move into `self`.
    #[must_use]
    pub const fn action(from: Self, to: Self) -> Action {
        match (from, to) {
            (Self::Bundled, Self::Approved) => Action::RequestFreed,
            (_, Self::Approved) => Action::RequestApproved,
            (_, Self::Rejected) => Action::RequestRejected,
            (_, Self::Withdrawn) => Action::RequestWithdrawn,
            (_, Self::Bundled) => Action::RequestBundled,
            (_, Self::InProgress) => Action::RequestInProgress,
            (_, Self::Done) => Action::RequestDone,
            (_, Self::Received) => Action::RequestReceived,
            (_, Self::Submitted) => Action::RequestSubmitted,
        }
    }
}

/// A move of one or more requests, and what it carries.
pub struct Move<'a> {
    pub from: Status,
    pub to: Status,
    pub actor: &'a Actor,
    /// The decision's reason, or the timeline note of a move that follows a submission.
    pub note: Option<&'a str>,
    /// The submission (id, number) a request is bundled into; required for `approved → bundled`.
    pub submission: Option<(i32, &'a str)>,
    /// Where mail links point.
    pub base_url: &'a str,
}

/// The one way a request's status changes. Checks the move against the
/// machine, updates every request in `ids` guarded by `WHERE status = from`
/// (a request that moved meanwhile makes the whole move a 409), writes one
/// audit row per request, and queues the institution's mail for the
/// producer's decision — all on `txn`, the transaction of the change.
/// Returns the moved requests and the queued mail ids.
///
/// # Errors
/// `Conflict` for an illegal move or when a request is no longer in `from`.
pub async fn transition<C: ConnectionTrait>(txn: &C, ids: &[i32], m: &Move<'_>) -> AppResult<(Vec<Model>, Vec<i32>)> {
    if !m.from.can_become(m.to) {
        return Err(AppError::Conflict(format!("Permintaan berstatus {} tidak dapat diubah menjadi {}.", m.from.label(), m.to.label())));
    }
    if ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let now = sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now());
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(m.to)).col_expr(Column::UpdatedAt, Expr::value(now));
    match (m.from, m.to) {
        (Status::Submitted, _) => {
            update = update.col_expr(Column::DecisionNote, Expr::value(m.note.map(str::to_string))).col_expr(Column::DecidedAt, Expr::value(now));
        }
        (Status::Approved, Status::Bundled) => {
            let Some((submission, _)) = m.submission else {
                return Err(AppError::Internal("approved → bundled without a submission".into()));
            };
            update = update.col_expr(Column::SubmissionId, Expr::value(submission));
        }
        (Status::Bundled, Status::Approved) => {
            update = update.col_expr(Column::SubmissionId, Expr::value(Option::<i32>::None));
        }
        _ => {}
    }
    let moved = update.filter(Column::Id.is_in(ids.to_vec())).filter(Column::Status.eq(m.from)).exec(txn).await?;
    if moved.rows_affected != ids.len() as u64 {
        return Err(AppError::Conflict("Salah satu permintaan baru saja berubah status oleh pengguna lain. Muat ulang halaman lalu coba lagi.".into()));
    }
    let rows = Entity::find().filter(Column::Id.is_in(ids.to_vec())).order_by_asc(Column::Id).all(txn).await?;
    let mut mails = Vec::new();
    for r in &rows {
        let mut event = Event::new(Status::action(m.from, m.to), SUBJECT).subject(r.id, &r.number).transition(m.from.as_str(), m.to.as_str());
        let note = match (m.note, m.submission) {
            (Some(n), _) => Some(n.to_string()),
            (None, Some((_, number))) if m.to == Status::Bundled => Some(format!("diajukan dalam pengajuan {number}")),
            _ => None,
        };
        if let Some(n) = note {
            event = event.note(n);
        }
        event.record(txn, m.actor).await?;
        if m.from == Status::Submitted && matches!(m.to, Status::Approved | Status::Rejected) {
            mails.extend(decision_mail(txn, r, m.base_url).await?);
        }
    }
    Ok((rows, mails))
}

/// Tells the institution of `r` the producer's decision.
async fn decision_mail<C: ConnectionTrait>(txn: &C, r: &Model, base_url: &str) -> AppResult<Vec<i32>> {
    let institution = organisations::Entity::find_by_id(r.organisation_id).one(txn).await?.ok_or(AppError::NotFound)?;
    let producer = organisations::Entity::find_by_id(r.producer_id).one(txn).await?.ok_or(AppError::NotFound)?;
    let message = crate::mailers::requests::Decided {
        approved: r.status == Status::Approved,
        producer: &producer.name,
        institution: &institution.name,
        number: &r.number,
        title: &r.title,
        quantity: crate::locale::group_thousands(u64::try_from(r.quantity).unwrap_or(0)),
        reason: r.decision_note.as_deref().unwrap_or_default(),
        url: crate::mailers::link(base_url, &format!("/permintaan/{}", r.id)),
    }
    .message()?;
    super::mail_outbox::enqueue(txn, &recipients(txn, &institution).await?, &message).await
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
    pub const fn status(&self) -> Status {
        self.status
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
        // The submission's own moves concern every request in it; their
        // notes may name other institutions' requests, so they are left out.
        let mut timeline = timeline;
        if let Some(s) = &submission {
            let moves = audit_events::Entity::find()
                .filter(audit_events::Column::SubjectType.eq(super::submissions::SUBJECT))
                .filter(audit_events::Column::SubjectId.eq(s.id))
                .filter(audit_events::Column::ToState.is_not_null())
                .filter(audit_events::Column::ToState.ne(""))
                .all(db)
                .await?;
            timeline.extend(moves.into_iter().map(|mut e| {
                e.note = None;
                e
            }));
            timeline.sort_by_key(|e| (e.created_at, e.id));
        }
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
    pub status: Status,
    pub file_kind: String,
    pub institution: String,
    pub producer: String,
}

/// The list's query string: status filter, search, sort and page.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListQuery {
    /// `progress`, `approved` (and every later stage), `rejected`, a single
    /// later stage (`bundled`, `in_progress`, `done`, `received`) or empty for all.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    /// `asc` for oldest first; newest first otherwise.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: PageNo,
}

impl ListQuery {
    /// One page of rows and where it sits in the list ("Menampilkan 1–20
    /// dari 350 data"). The count runs without the name joins.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page(&self, db: &DatabaseConnection, viewer: Viewer, per_page: u64) -> AppResult<(Vec<Row>, Window)> {
        let total = self.filtered(Entity::find(), viewer).count(db).await?;
        let window = Window::new(self.page, per_page, total);
        let rows = self.select(viewer).offset(window.offset()).limit(per_page).into_model::<Row>().all(db).await?;
        Ok((rows, window))
    }

    /// The list's SELECT (without paging), e.g. to explain its plan.
    #[must_use]
    pub fn select(&self, viewer: Viewer) -> sea_orm::Select<Entity> {
        let inst = Alias::new("inst");
        let prod = Alias::new("prod");
        let q = Entity::find()
            .select_only()
            .columns([Column::Id, Column::Number, Column::Title, Column::RequestDate, Column::Quantity, Column::Status, Column::FileKind])
            .column_as(Expr::col((inst.clone(), organisations::Column::Name)), "institution")
            .column_as(Expr::col((prod.clone(), organisations::Column::Name)), "producer")
            .join_as(JoinType::InnerJoin, Relation::Organisation.def(), inst)
            .join_as(JoinType::InnerJoin, Relation::Producer.def(), prod);
        let q = self.filtered(q, viewer);
        if self.sort == "asc" {
            q.order_by_asc(Column::RequestDate).order_by_asc(Column::Id)
        } else {
            q.order_by_desc(Column::RequestDate).order_by_desc(Column::Id)
        }
    }

    /// `q` limited to the viewer's scope, the status filter and the search.
    fn filtered(&self, mut q: sea_orm::Select<Entity>, viewer: Viewer) -> sea_orm::Select<Entity> {
        q = q.filter(viewer.condition());
        let statuses: Vec<Status> = match self.status.as_str() {
            "progress" => vec![Status::Submitted],
            "approved" => vec![Status::Approved, Status::Bundled, Status::InProgress, Status::Done, Status::Received],
            "rejected" => vec![Status::Rejected],
            other => Status::parse(other).into_iter().collect(),
        };
        if !statuses.is_empty() {
            q = q.filter(Column::Status.is_in(statuses));
        }
        let term = self.q.trim().to_lowercase();
        if !term.is_empty() {
            let pattern = format!("%{}%", term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            q = q.filter(Expr::col((Entity, Column::SearchText)).like(LikeExpr::new(pattern).escape('\\')));
        }
        q
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
            return Err(AppError::field(
                "file",
                format!("Isi berkas adalah {} tetapi namanya berakhiran .{ext}. Unggah berkas yang sesuai.", kind.extension().to_uppercase()),
            ));
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
            Ok(id) => {
                organisations::Entity::find_by_id(id)
                    .filter(organisations::Column::Kind.eq(OrgKind::Produsen.as_str()))
                    .filter(organisations::Column::Active.eq(true))
                    .one(db)
                    .await?
            }
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
        .filter(users::Column::Status.eq(super::users::Status::Active))
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
            status: Set(Status::Submitted),
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
        Event::new(Action::RequestSubmitted, SUBJECT)
            .subject(request.id, &request.number)
            .transition("", Status::Submitted.as_str())
            .record(&txn, &Actor::user(user, env.ip))
            .await?;
        let message = crate::mailers::requests::Created {
            producer: &valid.producer.name,
            institution: &institution.name,
            number: &request.number,
            title: &request.title,
            date: crate::locale::date(request.request_date),
            quantity: crate::locale::group_thousands(u64::try_from(request.quantity).unwrap_or(0)),
            machine_type: &valid.machine_type.name,
            url: crate::mailers::link(env.base_url, &format!("/permintaan/{}", request.id)),
        }
        .message()?;
        let mails = super::mail_outbox::enqueue(&txn, &recipients(&txn, &valid.producer).await?, &message).await?;
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
        let result = Entity::update_many().set(row).filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::Submitted)).exec(&txn).await;
        match result {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => return Err(AppError::Conflict("Permintaan ini baru saja diputuskan produsen dan tidak dapat diubah lagi.".into())),
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::field("number", "No. Permintaan ini sudah dipakai oleh permintaan lain organisasi Anda."))
            }
            Err(e) => return Err(e.into()),
        }
        let updated = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
        Event::new(Action::RequestEdited, SUBJECT).subject(updated.id, &updated.number).record(&txn, &Actor::user(user, env.ip)).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// The requester withdraws a request that is still `submitted`.
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided.
    pub async fn withdraw(db: &DatabaseConnection, user: &users::Model, id: i32, ip: &str) -> AppResult<Model> {
        let org_id = requester_org(Viewer::of(user))?;
        let txn = crate::models::begin_write(db).await?;
        let request = Model::find_for(&txn, Viewer::Requester(org_id), id).await?;
        let actor = Actor::user(user, ip);
        let m = Move { from: Status::Submitted, to: Status::Withdrawn, actor: &actor, note: None, submission: None, base_url: "" };
        let (mut moved, _) = transition(&txn, &[request.id], &m).await.map_err(|e| still_open(e, &request))?;
        txn.commit().await?;
        moved.pop().ok_or(AppError::NotFound)
    }

    /// The addressed producer approves (`note` empty) or rejects (reason
    /// required) requests that are still `submitted`; the institution is
    /// told either way. All of `ids` change in one transaction, or none does.
    /// A request already bundled, received or decided is a 409: only its
    /// submission's own reject/remove may free a bundled request.
    ///
    /// # Errors
    /// `NotFound` for a request not addressed to this producer, `Conflict`
    /// for one not `submitted`, `Invalid` for a rejection without reason.
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
        if !matches!(to, Status::Approved | Status::Rejected) {
            return Err(AppError::NotFound);
        }
        let reason = check_reason(reason, to == Status::Rejected)?;
        if ids.is_empty() {
            return Err(AppError::Conflict("Pilih minimal satu permintaan.".into()));
        }
        let txn = crate::models::begin_write(db).await?;
        let mut found = Vec::new();
        for id in ids {
            let request = Model::find_for(&txn, Viewer::Producer(producer_id), *id).await?;
            if request.status != Status::Submitted {
                return Err(still_open(AppError::Conflict(String::new()), &request));
            }
            found.push(request.id);
        }
        let actor = Actor::user(user, env.ip);
        let note = (to == Status::Rejected).then_some(reason);
        let m = Move { from: Status::Submitted, to, actor: &actor, note, submission: None, base_url: env.base_url };
        let (decided, mails) = transition(&txn, &found, &m).await?;
        txn.commit().await?;
        Ok((decided, mails))
    }
}

/// The 409 of a decision on a request that is no longer `submitted`.
fn still_open(e: AppError, request: &Model) -> AppError {
    match e {
        AppError::Conflict(_) => AppError::Conflict(format!(
            "Permintaan {} berstatus {}; hanya permintaan On Progress yang dapat diputuskan atau ditarik.",
            request.number,
            request.status.label()
        )),
        other => other,
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
