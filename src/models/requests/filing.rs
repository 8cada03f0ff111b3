//! Filing a request: the form and its letter (checked before any write),
//! edits while it is still `submitted`, the requester's withdrawal and the
//! producer's decision (both through the machine's transition).
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::{recipients, transition, ActiveModel, Column, Entity, Env, Model, Move, Status, Viewer, FILE_AREA, FILE_MAX_BYTES, QTY_MAX, SUBJECT};
use crate::models::{
    _entities::{machine_types, organisations, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    master_data::check_len,
    roles::OrgKind,
    uploads::{self, Kind},
    writes::{combined, Combinable},
};

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
        let mails = crate::models::mail_outbox::enqueue(&txn, &recipients(&txn, &valid.producer).await?, &message).await?;
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
        let m = Move { from: Status::Submitted, to: Status::Withdrawn, actor: &actor, note: None, submission: None, base_url: "", audiences: None };
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
        check_selection(ids)?;
        // Scope, state and whom to tell are read before the write turn;
        // the transition's `WHERE status = 'submitted'` catches a decision
        // taken meanwhile (409).
        let found = Model::find_all_for(db, Viewer::Producer(producer_id), ids).await?;
        if let Some(request) = found.iter().find(|r| r.status != Status::Submitted) {
            return Err(still_open(AppError::Conflict(String::new()), request));
        }
        let note = (to == Status::Rejected).then_some(reason);
        let mut audiences = super::Audiences::of(db, &found).await?;
        audiences.render_decisions(&found, to, note, env.base_url)?;
        let found: Vec<i32> = found.iter().map(|r| r.id).collect();
        // Decisions arriving together share one write transaction (see
        // `writes::combined`); each is still checked and recorded on its own.
        let decision = Arc::new((found, Actor::user(user, env.ip), note.map(str::to_string), env.base_url.to_string(), audiences));
        let write: Combinable<(Vec<Model>, Vec<i32>)> = Arc::new(move |txn| {
            let decision = Arc::clone(&decision);
            Box::pin(async move {
                let (found, actor, note, base_url, audiences) = &*decision;
                let m = Move { from: Status::Submitted, to, actor, note: note.as_deref(), submission: None, base_url, audiences: Some(audiences) };
                transition(txn, found, &m).await
            })
        });
        let (decided, mails) = combined(db, write).await?;
        Ok((decided, mails))
    }
}

/// Requests decided in one go at most (a bulk approval selects from the list's pages).
pub const DECIDED_AT_ONCE: usize = 200;

/// A selection of requests to decide on: at least one, at most [`DECIDED_AT_ONCE`].
///
/// # Errors
/// `Conflict` with what to choose instead.
pub fn check_selection(ids: &[i32]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::Conflict("Pilih minimal satu permintaan.".into()));
    }
    if ids.len() > DECIDED_AT_ONCE {
        return Err(AppError::Conflict(format!("Pilih paling banyak {DECIDED_AT_ONCE} permintaan sekaligus.")));
    }
    Ok(())
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
