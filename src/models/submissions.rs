//! Pengajuan SAM Rekam Cetak: a producer bundles approved requests into one
//! submission with the list of blank cards; the admin accepts it (Kode
//! Tiket, schedule) or rejects it.
//!
//! Status machine (DESIGN §1): `new → accepted | rejected`;
//! `accepted → in_progress → done → received`. A `new` submission may be
//! edited or removed by its producer; removing or rejecting frees its
//! requests (`bundled → approved`).
//!
//! Kode Tiket: `PERSO-<year>-<5-digit sequence within the year>`, e.g.
//! `PERSO-2026-00007`, issued at acceptance, unique (index).
use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    prelude::Expr, sea_query::{ExprTrait as _, Query}, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

pub use super::_entities::submissions::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{audit_events, cards, holidays, machine_types, organisations, personalization_requests as requests, stations, users},
    audit_events::{Actor, Event},
    card_list::{self, CardRow},
    errors::{AppError, AppResult, FieldErrors},
    master_data::check_len,
    personalization_requests::{check_reason, recipients, Letter, Status as RequestStatus},
    roles::Role,
    schedule::{self, Calendar, QueueEntry, Rules},
    uploads, Env,
};

/// The audit subject type; a submission's timeline is its audit rows.
pub const SUBJECT: &str = "pengajuan";
pub const FILE_AREA: &str = "submissions";
/// Row errors shown at most; the rest are counted.
const MAX_SHOWN_ERRORS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Accepted,
    Rejected,
    InProgress,
    Done,
    Received,
}

impl Status {
    pub const ALL: [Self; 6] = [Self::New, Self::Accepted, Self::Rejected, Self::InProgress, Self::Done, Self::Received];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Received => "received",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Accepted => "Accepted",
            Self::Rejected => "Rejected",
            Self::InProgress => "On Progress",
            Self::Done => "Done",
            Self::Received => "Received",
        }
    }

    /// Timeline percent by stage.
    #[must_use]
    pub const fn percent(self) -> u8 {
        match self {
            Self::New | Self::Rejected => 0,
            Self::Accepted => 25,
            Self::InProgress => 50,
            Self::Done => 75,
            Self::Received => 100,
        }
    }

    #[must_use]
    pub fn can_become(self, to: Self) -> bool {
        use Status::{Accepted, Done, InProgress, New, Received, Rejected};
        matches!((self, to), (New, Accepted | Rejected) | (Accepted, InProgress) | (InProgress, Done) | (Done, Received))
    }
}

/// Who looks at submissions, and which ones they may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Its own submissions; creates, edits, removes.
    Producer(i32),
    /// Everything; accepts and rejects.
    Admin,
    /// Read-only: the submissions that carry its requests.
    Institution(i32),
    Nobody,
}

impl Viewer {
    #[must_use]
    pub fn of(user: &users::Model) -> Self {
        match (Role::parse(&user.role), user.organisation_id) {
            (Some(Role::Admin), _) => Self::Admin,
            (Some(Role::Produsen), Some(org)) => Self::Producer(org),
            (Some(Role::Lembaga | Role::DukcapilKota), Some(org)) => Self::Institution(org),
            _ => Self::Nobody,
        }
    }

    #[must_use]
    pub fn condition(self) -> Condition {
        match self {
            Self::Producer(org) => Condition::all().add(Column::ProducerId.eq(org)),
            Self::Admin => Condition::all(),
            Self::Institution(org) => Condition::all().add(
                Column::Id.in_subquery(
                    Query::select()
                        .column(requests::Column::SubmissionId)
                        .from(requests::Entity)
                        .and_where(requests::Column::OrganisationId.eq(org))
                        .and_where(requests::Column::SubmissionId.is_not_null())
                        .to_owned(),
                ),
            ),
            Self::Nobody => Condition::all().add(Expr::val(1).eq(0)),
        }
    }
}

impl Model {
    #[must_use]
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::New)
    }

    /// # Errors
    /// `NotFound` when missing or outside the viewer's scope.
    pub async fn find_for<C: ConnectionTrait>(db: &C, viewer: Viewer, id: i32) -> AppResult<Self> {
        Entity::find_by_id(id).filter(viewer.condition()).one(db).await?.ok_or(AppError::NotFound)
    }

    #[must_use]
    pub fn download_name(&self) -> String {
        uploads::download_name("Pengajuan", &self.number, &self.file_kind)
    }
}

/// The list's query string.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<u64>,
}

impl ListQuery {
    #[must_use]
    pub fn page_number(&self) -> u64 {
        Ord::max(self.page.unwrap_or(1), 1)
    }

    /// One page of submissions (newest first) with the producer's name.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page(&self, db: &DatabaseConnection, viewer: Viewer, per_page: u64) -> AppResult<(Vec<(Model, Option<organisations::Model>)>, bool)> {
        let statuses: Vec<Status> = Status::parse(&self.status).map_or_else(|| Status::ALL.to_vec(), |s| vec![s]);
        search_page(db, viewer.condition(), &statuses, self, &[(Column::Id, Order::Desc)], per_page).await
    }
}

/// One page of the submissions in `scope` with one of `statuses`, matching
/// the query's search term on No. Pengajuan, Kode Tiket or judul, in `order`,
/// with the producer; and whether more pages follow.
///
/// # Errors
/// On database failure.
pub async fn search_page(
    db: &DatabaseConnection,
    scope: Condition,
    statuses: &[Status],
    q: &ListQuery,
    order: &[(Column, Order)],
    per_page: u64,
) -> AppResult<(Vec<(Model, Option<organisations::Model>)>, bool)> {
    let mut query = Entity::find().find_also_related(organisations::Entity).filter(scope).filter(Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    let term = q.q.trim();
    if !term.is_empty() {
        query = query.filter(Condition::any().add(Column::Number.contains(term)).add(Column::Title.contains(term)).add(Column::TicketCode.contains(term)));
    }
    for (column, direction) in order {
        query = query.order_by(*column, direction.clone());
    }
    let mut rows = query.offset((q.page_number() - 1) * per_page).limit(per_page + 1).all(db).await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// The create/edit form, as typed (files come separately).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Form {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub card_count: String,
    #[serde(default)]
    pub machine_type_id: String,
    #[serde(default)]
    pub note: String,
    /// The approved requests bundled into the submission.
    #[serde(default)]
    pub request_ids: Vec<i32>,
}

/// The card list spreadsheet as uploaded.
pub struct CardFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// Approved requests addressed to `producer` that no submission carries yet.
///
/// # Errors
/// On database failure.
pub async fn open_requests(db: &DatabaseConnection, producer: i32) -> AppResult<Vec<(requests::Model, Option<organisations::Model>)>> {
    Ok(requests::Entity::find()
        .find_also_related(organisations::Entity)
        .filter(requests::Column::ProducerId.eq(producer))
        .filter(requests::Column::Status.eq(RequestStatus::Approved.as_str()))
        .filter(requests::Column::SubmissionId.is_null())
        .order_by_asc(requests::Column::RequestDate)
        .all(db)
        .await?)
}

struct Valid {
    number: String,
    title: String,
    card_count: i32,
    machine_type: machine_types::Model,
    note: Option<String>,
}

impl Form {
    async fn validate(&self, db: &DatabaseConnection, producer: i32, except: Option<i32>, e: &mut FieldErrors) -> AppResult<Option<Valid>> {
        let number = self.number.trim();
        check_len(e, "number", "No. Pengajuan", number, 1, 100);
        check_len(e, "title", "Judul Pengajuan", &self.title, 1, 200);
        check_len(e, "note", "Catatan", &self.note, 0, 2000);
        let card_count = match self.card_count.trim().parse::<i64>() {
            Ok(n) if (1..=card_list::MAX_ROWS as i64).contains(&n) => i32::try_from(n).ok(),
            Ok(_) => {
                e.add("card_count", format!("Jumlah Kartu SAM harus antara 1 dan {}.", card_list::MAX_ROWS));
                None
            }
            Err(_) => {
                e.add("card_count", "Jumlah Kartu SAM harus berupa angka bulat.");
                None
            }
        };
        let machine_type = machine_types::Model::chosen(db, &self.machine_type_id, e).await?;
        if !number.is_empty() {
            let mut dup = Entity::find().filter(Column::ProducerId.eq(producer)).filter(Column::Number.eq(number));
            if let Some(id) = except {
                dup = dup.filter(Column::Id.ne(id));
            }
            if dup.count(db).await? > 0 {
                e.add("number", "No. Pengajuan ini sudah dipakai pada pengajuan Anda yang lain.");
            }
        }
        Ok(match (card_count, machine_type) {
            (Some(card_count), Some(machine_type)) if e.is_empty() => Some(Valid {
                number: number.to_string(),
                title: self.title.trim().to_string(),
                card_count,
                machine_type,
                note: Some(self.note.trim().to_string()).filter(|n| !n.is_empty()),
            }),
            _ => None,
        })
    }
}

/// Checks a parsed card list against the bundled requests and the cards of
/// every other live submission. Returns the row errors (empty when fine).
async fn check_cards<C: ConnectionTrait>(db: &C, rows: &[CardRow], bundle: &[requests::Model], card_count: i32, except_submission: Option<i32>) -> AppResult<Vec<String>> {
    let mut errors = Vec::new();
    let mut by_number: BTreeMap<&str, &requests::Model> = BTreeMap::new();
    for r in bundle {
        if by_number.insert(r.number.as_str(), r).is_some() {
            errors.push(format!("Permintaan terpilih memakai No. Permintaan yang sama ({}); ajukan salah satunya pada pengajuan lain.", r.number));
        }
    }
    let mut per_request: BTreeMap<&str, i32> = BTreeMap::new();
    for row in rows {
        match by_number.get(row.request_number.as_str()) {
            Some(_) => *per_request.entry(row.request_number.as_str()).or_default() += 1,
            None => errors.push(format!("Baris {}: No. Permintaan '{}' bukan salah satu permintaan yang dipilih.", row.row, row.request_number)),
        }
    }
    for r in bundle {
        let n = per_request.get(r.number.as_str()).copied().unwrap_or(0);
        if n != r.quantity {
            errors.push(format!("Permintaan {}: daftar berisi {n} kartu, sedangkan Qty permintaan {} keping.", r.number, r.quantity));
        }
    }
    let qty_sum: i32 = bundle.iter().map(|r| r.quantity).sum();
    let listed = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    if listed != card_count || card_count != qty_sum {
        errors.push(format!("Jumlah tidak cocok: daftar berisi {listed} kartu, Jumlah Kartu SAM {card_count}, jumlah Qty permintaan terpilih {qty_sum}."));
    }
    // Cards already in any other live (not rejected) submission.
    let row_of: BTreeMap<&str, usize> = rows.iter().map(|r| (r.serial.as_str(), r.row)).collect();
    for chunk in rows.chunks(500) {
        let serials: Vec<&str> = chunk.iter().map(|r| r.serial.as_str()).collect();
        let mut q = cards::Entity::find().find_also_related(Entity).filter(cards::Column::LiveSerial.is_in(serials));
        if let Some(id) = except_submission {
            q = q.filter(cards::Column::SubmissionId.ne(id));
        }
        for (card, submission) in q.all(db).await? {
            let (number, producer) = match &submission {
                Some(s) => (s.number.clone(), organisations::Entity::find_by_id(s.producer_id).one(db).await?.map(|o| o.name).unwrap_or_default()),
                None => (String::new(), String::new()),
            };
            errors.push(format!(
                "Baris {}: No. Seri '{}' sudah terdaftar pada pengajuan {number} milik {producer}.",
                row_of.get(card.serial.as_str()).copied().unwrap_or(0),
                card.serial
            ));
        }
    }
    Ok(errors)
}

fn shown(mut errors: Vec<String>) -> String {
    let extra = errors.len().saturating_sub(MAX_SHOWN_ERRORS);
    errors.truncate(MAX_SHOWN_ERRORS);
    if extra > 0 {
        errors.push(format!("… dan {extra} kesalahan lain."));
    }
    errors.join("\n")
}

async fn insert_cards<C: ConnectionTrait>(txn: &C, submission_id: i32, rows: &[CardRow], bundle: &[requests::Model]) -> AppResult<()> {
    let ids: BTreeMap<&str, i32> = bundle.iter().map(|r| (r.number.as_str(), r.id)).collect();
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    for chunk in rows.chunks(1000) {
        let models = chunk.iter().map(|r| cards::ActiveModel {
            submission_id: Set(submission_id),
            request_id: Set(ids[r.request_number.as_str()]),
            row_no: Set(i32::try_from(r.row).unwrap_or(i32::MAX)),
            serial: Set(r.serial.clone()),
            live_serial: Set(Some(r.serial.clone())),
            note: Set(Some(r.note.clone()).filter(|n| !n.is_empty())),
            status: Set("pending".to_string()),
            created_at: Set(now),
            ..Default::default()
        });
        cards::Entity::insert_many(models).exec(txn).await?;
    }
    Ok(())
}

/// The letter file and the card list, both checked before any write.
struct Files<'a> {
    letter: Option<super::personalization_requests::CheckedLetter<'a>>,
    rows: Option<Vec<CardRow>>,
    cards_name: String,
}

fn check_files<'a>(letter: Option<&'a Letter>, card_file: Option<&CardFile>, letter_required: bool, e: &mut FieldErrors) -> Files<'a> {
    let checked = match letter.map(Letter::check) {
        Some(Ok(c)) => Some(c),
        Some(Err(AppError::Invalid(x))) => {
            e.add("file", x.get("file").unwrap_or_default());
            None
        }
        Some(Err(_)) | None => {
            if letter_required {
                e.add("file", "Unggah Berkas Pengajuan (PDF, JPG atau PNG, maksimal 3 MB).");
            }
            None
        }
    };
    let rows = match card_file {
        Some(f) => match card_list::parse(&f.bytes) {
            Ok(rows) => Some(rows),
            Err(errors) => {
                e.add("cards", shown(errors.iter().map(ToString::to_string).collect()));
                None
            }
        },
        None => None,
    };
    Files { letter: checked, rows, cards_name: card_file.map(|f| f.file_name.chars().take(255).collect()).unwrap_or_default() }
}

fn producer_of(viewer: Viewer) -> AppResult<i32> {
    match viewer {
        Viewer::Producer(org) => Ok(org),
        _ => Err(AppError::NotFound),
    }
}

/// Moves the given requests between `from` and `to` (setting or clearing
/// their submission), guarded so a request changed meanwhile is a conflict.
async fn move_requests<C: ConnectionTrait>(txn: &C, ids: &[i32], from: RequestStatus, to: RequestStatus, submission: Option<i32>, actor: &Actor, note: &str) -> AppResult<()> {
    for id in ids {
        let result = requests::Entity::update_many()
            .col_expr(requests::Column::Status, Expr::value(to.as_str()))
            .col_expr(requests::Column::SubmissionId, Expr::value(submission))
            .col_expr(requests::Column::UpdatedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now())))
            .filter(requests::Column::Id.eq(*id))
            .filter(requests::Column::Status.eq(from.as_str()))
            .exec(txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(AppError::Conflict("Salah satu permintaan terpilih baru saja berubah status. Muat ulang halaman lalu coba lagi.".into()));
        }
        let number = requests::Entity::find_by_id(*id).one(txn).await?.map(|r| r.number).unwrap_or_default();
        Event::new(if to == RequestStatus::Bundled { "request.bundled" } else { "request.freed" }, super::personalization_requests::SUBJECT)
            .subject(*id, number)
            .transition(from.as_str(), to.as_str())
            .note(note)
            .record(txn, actor)
            .await?;
    }
    Ok(())
}

impl ActiveModel {
    /// Buat Surat Personalisasi: validates the form, the files and the card
    /// list (before any write), then inserts the submission, its cards, the
    /// bundled requests' new status and the audit rows in one transaction.
    ///
    /// # Errors
    /// `Invalid` with messages per field (`cards`: one line per row problem).
    pub async fn submit(db: &DatabaseConnection, user: &users::Model, form: &Form, letter: Option<&Letter>, card_file: Option<&CardFile>, env: &Env<'_>) -> AppResult<Model> {
        let producer = producer_of(Viewer::of(user))?;
        let mut e = FieldErrors::new();
        let files = check_files(letter, card_file, true, &mut e);
        if card_file.is_none() {
            e.add("cards", "Unggah Excel Daftar Kartu SAM (dari template).");
        }
        let valid = form.validate(db, producer, None, &mut e).await?;
        let ids: BTreeSet<i32> = form.request_ids.iter().copied().collect();
        let bundle = if ids.is_empty() {
            Vec::new()
        } else {
            requests::Entity::find()
                .filter(requests::Column::Id.is_in(ids.iter().copied()))
                .filter(requests::Column::ProducerId.eq(producer))
                .filter(requests::Column::Status.eq(RequestStatus::Approved.as_str()))
                .filter(requests::Column::SubmissionId.is_null())
                .all(db)
                .await?
        };
        if ids.is_empty() {
            e.add("request_ids", "Pilih minimal satu permintaan yang sudah Approved.");
        } else if bundle.len() != ids.len() {
            e.add("request_ids", "Sebagian permintaan terpilih tidak lagi tersedia (sudah diajukan atau bukan milik Anda). Muat ulang halaman.");
        }
        if let (Some(rows), Some(valid)) = (&files.rows, &valid) {
            if e.get("request_ids").is_none() {
                let problems = check_cards(db, rows, &bundle, valid.card_count, None).await?;
                if !problems.is_empty() {
                    e.add("cards", shown(problems));
                }
            }
        }
        e.into_result()?;
        let (valid, letter, rows) = (valid.expect("validated"), files.letter.expect("checked"), files.rows.expect("parsed"));
        let key = uploads::store(env.upload_dir, FILE_AREA, letter.bytes()).await?;
        let actor = Actor::user(user, env.ip);
        let now = Utc::now();
        let txn = crate::models::begin_write(db).await?;
        let submission = Self {
            producer_id: Set(producer),
            machine_type_id: Set(valid.machine_type.id),
            created_by: Set(user.id),
            number: Set(valid.number),
            title: Set(valid.title),
            created_on: Set(now.with_timezone(&crate::views::filters::wib()).date_naive()),
            card_count: Set(valid.card_count),
            note: Set(valid.note),
            file_key: Set(key),
            file_kind: Set(letter.kind().extension().to_string()),
            file_name: Set(letter.file_name().to_string()),
            file_size: Set(i32::try_from(letter.bytes().len()).unwrap_or(i32::MAX)),
            cards_file_name: Set(files.cards_name),
            status: Set(Status::New.as_str().to_string()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|err| unique_to_field(err, "number", "No. Pengajuan ini sudah dipakai pada pengajuan Anda yang lain."))?;
        insert_cards(&txn, submission.id, &rows, &bundle)
            .await
            .map_err(|err| match err {
                AppError::Db(d) => unique_to_field(d, "cards", "Sebagian No. Seri baru saja didaftarkan pada pengajuan lain. Unggah ulang daftar kartu."),
                other => other,
            })?;
        let bundle_ids: Vec<i32> = bundle.iter().map(|r| r.id).collect();
        move_requests(&txn, &bundle_ids, RequestStatus::Approved, RequestStatus::Bundled, Some(submission.id), &actor, &format!("diajukan dalam pengajuan {}", submission.number)).await?;
        Event::new("submission.created", SUBJECT)
            .subject(submission.id, &submission.number)
            .transition("", Status::New.as_str())
            .note(format!("{} kartu, {} permintaan", submission.card_count, bundle_ids.len()))
            .record(&txn, &actor)
            .await?;
        txn.commit().await?;
        Ok(submission)
    }

    /// Edits a `new` submission: its fields, optionally a new letter and a
    /// new card list (checked against the same bundled requests).
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided, `Invalid` per field.
    pub async fn edit(db: &DatabaseConnection, user: &users::Model, id: i32, form: &Form, letter: Option<&Letter>, card_file: Option<&CardFile>, env: &Env<'_>) -> AppResult<Model> {
        let producer = producer_of(Viewer::of(user))?;
        let existing = Model::find_for(db, Viewer::Producer(producer), id).await?;
        if existing.status() != Status::New {
            return Err(AppError::Conflict(format!("Pengajuan {} sudah {} dan tidak dapat diubah lagi.", existing.number, existing.status().label())));
        }
        let mut e = FieldErrors::new();
        let files = check_files(letter, card_file, false, &mut e);
        let valid = form.validate(db, producer, Some(id), &mut e).await?;
        let bundle = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).all(db).await?;
        if let Some(valid) = &valid {
            let problems = match &files.rows {
                Some(rows) => check_cards(db, rows, &bundle, valid.card_count, Some(id)).await?,
                None if valid.card_count != existing.card_count => vec![format!(
                    "Jumlah Kartu SAM berubah menjadi {}; unggah ulang Excel Daftar Kartu SAM yang sesuai.",
                    valid.card_count
                )],
                None => Vec::new(),
            };
            if !problems.is_empty() {
                e.add("cards", shown(problems));
            }
        }
        e.into_result()?;
        let valid = valid.expect("validated");
        let stored = match &files.letter {
            Some(l) => Some(uploads::store(env.upload_dir, FILE_AREA, l.bytes()).await?),
            None => None,
        };
        let txn = crate::models::begin_write(db).await?;
        let mut row: Self = existing.clone().into();
        row.number = Set(valid.number);
        row.title = Set(valid.title);
        row.card_count = Set(valid.card_count);
        row.machine_type_id = Set(valid.machine_type.id);
        row.note = Set(valid.note);
        if let (Some(key), Some(l)) = (stored, &files.letter) {
            row.file_key = Set(key);
            row.file_kind = Set(l.kind().extension().to_string());
            row.file_name = Set(l.file_name().to_string());
            row.file_size = Set(i32::try_from(l.bytes().len()).unwrap_or(i32::MAX));
        }
        if files.rows.is_some() {
            row.cards_file_name = Set(files.cards_name.clone());
        }
        row.updated_at = Set(Utc::now().into());
        let result = Entity::update_many().set(row).filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::New.as_str())).exec(&txn).await;
        match result {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => return Err(AppError::Conflict("Pengajuan ini baru saja diputuskan admin dan tidak dapat diubah lagi.".into())),
            Err(err) => return Err(unique_to_field(err, "number", "No. Pengajuan ini sudah dipakai pada pengajuan Anda yang lain.")),
        }
        if let Some(rows) = &files.rows {
            cards::Entity::delete_many().filter(cards::Column::SubmissionId.eq(id)).exec(&txn).await?;
            insert_cards(&txn, id, rows, &bundle).await?;
        }
        let updated = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
        Event::new("submission.edited", SUBJECT)
            .subject(id, &updated.number)
            .note(if files.rows.is_some() { "daftar kartu diganti" } else { "" })
            .record(&txn, &Actor::user(user, env.ip))
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Removes a `new` submission: its requests are freed, its cards and the
    /// row deleted; the audit keeps the story.
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided.
    pub async fn remove(db: &DatabaseConnection, user: &users::Model, id: i32, ip: &str) -> AppResult<()> {
        let producer = producer_of(Viewer::of(user))?;
        let txn = crate::models::begin_write(db).await?;
        let submission = Model::find_for(&txn, Viewer::Producer(producer), id).await?;
        if submission.status() != Status::New {
            return Err(AppError::Conflict(format!("Pengajuan {} sudah {} dan tidak dapat dihapus.", submission.number, submission.status().label())));
        }
        let actor = Actor::user(user, ip);
        let ids: Vec<i32> = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).all(&txn).await?.into_iter().map(|r| r.id).collect();
        move_requests(&txn, &ids, RequestStatus::Bundled, RequestStatus::Approved, None, &actor, &format!("pengajuan {} dihapus", submission.number)).await?;
        cards::Entity::delete_many().filter(cards::Column::SubmissionId.eq(id)).exec(&txn).await?;
        let deleted = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::New.as_str())).exec(&txn).await?;
        if deleted.rows_affected != 1 {
            return Err(AppError::Conflict("Pengajuan ini baru saja diputuskan admin dan tidak dapat dihapus.".into()));
        }
        Event::new("submission.removed", SUBJECT).subject(id, &submission.number).transition(Status::New.as_str(), "removed").record(&txn, &actor).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The admin accepts (Kode Tiket, schedule) or rejects (reason; frees
    /// the requests) a `new` submission. Mails: the producer either way, the
    /// institutions of the bundled requests on acceptance.
    ///
    /// # Errors
    /// `NotFound` for non-admins, `Conflict` when not `new`, `Invalid` for a
    /// rejection without reason.
    pub async fn decide(db: &DatabaseConnection, user: &users::Model, id: i32, to: Status, reason: &str, env: &Env<'_>) -> AppResult<(Model, Vec<i32>)> {
        if Viewer::of(user) != Viewer::Admin {
            return Err(AppError::NotFound);
        }
        let reason = check_reason(reason, to == Status::Rejected)?;
        let txn = crate::models::begin_write(db).await?;
        let submission = Model::find_for(&txn, Viewer::Admin, id).await?;
        if !submission.status().can_become(to) {
            return Err(AppError::Conflict(format!(
                "Pengajuan {} berstatus {}; tidak dapat diubah menjadi {}.",
                submission.number,
                submission.status().label(),
                to.label()
            )));
        }
        let now = Utc::now();
        let mut update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(Status::New.as_str()));
        if to == Status::Accepted {
            update = update
                .col_expr(Column::TicketCode, Expr::value(next_ticket(&txn, now.with_timezone(&crate::views::filters::wib()).date_naive()).await?))
                .col_expr(Column::AcceptedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)));
        } else {
            update = update.col_expr(Column::DecisionNote, Expr::value(reason.to_string()));
        }
        if update.exec(&txn).await?.rows_affected != 1 {
            return Err(AppError::Conflict(format!("Pengajuan {} baru saja diputuskan oleh admin lain. Muat ulang halaman.", submission.number)));
        }
        let actor = Actor::user(user, env.ip);
        let bundle = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).all(&txn).await?;
        if to == Status::Rejected {
            let ids: Vec<i32> = bundle.iter().map(|r| r.id).collect();
            move_requests(&txn, &ids, RequestStatus::Bundled, RequestStatus::Approved, None, &actor, &format!("pengajuan {} ditolak", submission.number)).await?;
            cards::Entity::update_many().col_expr(cards::Column::LiveSerial, Expr::value(Option::<String>::None)).filter(cards::Column::SubmissionId.eq(id)).exec(&txn).await?;
        }
        let mut event = Event::new(if to == Status::Accepted { "submission.accepted" } else { "submission.rejected" }, SUBJECT)
            .subject(id, &submission.number)
            .transition(Status::New.as_str(), to.as_str());
        if to == Status::Rejected {
            event = event.note(reason);
        }
        event.record(&txn, &actor).await?;
        reschedule(&txn, env.disposition_days).await?;
        let decided = Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let producer = organisations::Entity::find_by_id(decided.producer_id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let mut mails = crate::mailers::submissions::decided(&txn, env.base_url, &decided, &producer, &recipients(&txn, &producer).await?).await?;
        if to == Status::Accepted {
            let mut institutions: BTreeSet<i32> = BTreeSet::new();
            for r in &bundle {
                if institutions.insert(r.organisation_id) {
                    let org = organisations::Entity::find_by_id(r.organisation_id).one(&txn).await?.ok_or(AppError::NotFound)?;
                    let numbers: Vec<String> = bundle.iter().filter(|b| b.organisation_id == org.id).map(|b| b.number.clone()).collect();
                    mails.extend(crate::mailers::submissions::accepted_for_institution(&txn, env.base_url, &decided, &producer, &org, &numbers, &recipients(&txn, &org).await?).await?);
                }
            }
        }
        txn.commit().await?;
        Ok((decided, mails))
    }
}

/// A unique index refused the write: shown as a message on `field`.
fn unique_to_field(err: sea_orm::DbErr, field: &str, message: &str) -> AppError {
    let s = err.to_string().to_lowercase();
    if s.contains("unique") || s.contains("duplicate key") {
        AppError::field(field, message)
    } else {
        AppError::Db(err)
    }
}

/// The next Kode Tiket of `today`'s year.
async fn next_ticket<C: ConnectionTrait>(txn: &C, today: NaiveDate) -> AppResult<String> {
    use chrono::Datelike;
    let prefix = format!("PERSO-{}-", today.year());
    let last = Entity::find()
        .filter(Column::TicketCode.starts_with(&prefix))
        .order_by_desc(Column::TicketCode)
        .one(txn)
        .await?
        .and_then(|s| s.ticket_code)
        .and_then(|c| c.trim_start_matches(&prefix).parse::<u32>().ok())
        .unwrap_or(0);
    Ok(format!("{prefix}{:05}", last + 1))
}

/// The working-day calendar from master data (active holidays).
///
/// # Errors
/// On database failure.
pub async fn calendar<C: ConnectionTrait>(db: &C) -> AppResult<Calendar> {
    let days = holidays::Entity::find().filter(holidays::Column::Active.eq(true)).all(db).await?;
    Ok(Calendar::new(days.into_iter().map(|h| h.date)))
}

/// Recomputes Estimasi Mulai/Selesai of every accepted or running
/// submission, in acceptance order, from the active stations' capacity.
///
/// # Errors
/// On database failure.
pub async fn reschedule<C: ConnectionTrait>(txn: &C, disposition_days: u32) -> AppResult<()> {
    let capacity: i64 = stations::Entity::find().filter(stations::Column::Active.eq(true)).all(txn).await?.iter().map(|s| i64::from(s.capacity_per_day)).sum();
    let capacity = if capacity > 0 { capacity } else { i64::from(super::stations::DEFAULT_CAPACITY) };
    let queue = Entity::find()
        .filter(Column::Status.is_in([Status::Accepted.as_str(), Status::InProgress.as_str()]))
        .order_by_asc(Column::AcceptedAt)
        .order_by_asc(Column::Id)
        .all(txn)
        .await?;
    let wib = crate::views::filters::wib();
    let entries: Vec<QueueEntry> = queue
        .iter()
        .map(|s| QueueEntry {
            id: s.id,
            accepted_on: s.accepted_at.map_or_else(|| Utc::now().with_timezone(&wib).date_naive(), |t| t.with_timezone(&wib).date_naive()),
            cards: u32::try_from(s.card_count).unwrap_or(0),
        })
        .collect();
    let rules = Rules { capacity_per_day: u32::try_from(capacity).unwrap_or(u32::MAX), disposition_days };
    let plan = schedule::plan(&entries, &rules, &calendar(txn).await?, Utc::now().with_timezone(&wib).date_naive());
    for estimate in plan {
        Entity::update_many()
            .col_expr(Column::EstimatedStart, Expr::value(estimate.start))
            .col_expr(Column::EstimatedFinish, Expr::value(estimate.finish))
            .col_expr(Column::EstimatedHandover, Expr::value(estimate.handover))
            .filter(Column::Id.eq(estimate.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The timeline of a submission: its audit rows, oldest first.
///
/// # Errors
/// On database failure.
pub async fn timeline(db: &DatabaseConnection, id: i32) -> AppResult<Vec<audit_events::Model>> {
    Ok(audit_events::Entity::find()
        .filter(audit_events::Column::SubjectType.eq(SUBJECT))
        .filter(audit_events::Column::SubjectId.eq(id))
        .order_by_asc(audit_events::Column::Id)
        .all(db)
        .await?)
}

/// View Card: one page of the imported card list, searchable by serial or
/// request number.
///
/// # Errors
/// On database failure.
pub async fn cards_page(db: &DatabaseConnection, submission: i32, q: &str, page: u64, per_page: u64) -> AppResult<(Vec<(cards::Model, String)>, bool)> {
    let mut query = cards::Entity::find().filter(cards::Column::SubmissionId.eq(submission));
    let term = q.trim().to_uppercase();
    if !term.is_empty() {
        query = query.filter(cards::Column::Serial.contains(&term));
    }
    let mut rows = query.order_by_asc(cards::Column::RowNo).offset((Ord::max(page, 1) - 1) * per_page).limit(per_page + 1).all(db).await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    let request_ids: BTreeSet<i32> = rows.iter().map(|c| c.request_id).collect();
    let numbers: BTreeMap<i32, String> = requests::Entity::find().filter(requests::Column::Id.is_in(request_ids)).all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
    Ok((rows.into_iter().map(|c| {
        let n = numbers.get(&c.request_id).cloned().unwrap_or_default();
        (c, n)
    }).collect(), more))
}

/// Where the card-list Excel files are kept, beside [`FILE_AREA`].
pub const CARDS_AREA: &str = "card-lists";

/// The download name of a submission's card list.
#[must_use]
pub fn cards_download_name(s: &Model) -> String {
    uploads::download_name("Daftar-Kartu-SAM", &s.number, "xlsx")
}

/// Keeps the key of the card-list Excel just accepted for submission `id`
/// (by [`ActiveModel::submit`] or [`ActiveModel::edit`]); the file was
/// stored under `key` in [`CARDS_AREA`].
///
/// # Errors
/// On database failure.
pub async fn keep_cards_file(db: &DatabaseConnection, id: i32, key: &str) -> AppResult<()> {
    Entity::update_many().col_expr(Column::CardsFileKey, Expr::value(key)).filter(Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The card list of a submission as imported, in list order; with
/// `institution`, only the rows of that organisation's requests.
///
/// # Errors
/// On database failure.
pub async fn card_rows(db: &DatabaseConnection, submission: i32, institution: Option<i32>) -> AppResult<Vec<CardRow>> {
    let mut q = requests::Entity::find().filter(requests::Column::SubmissionId.eq(submission));
    if let Some(org) = institution {
        q = q.filter(requests::Column::OrganisationId.eq(org));
    }
    let numbers: BTreeMap<i32, String> = q.all(db).await?.into_iter().map(|r| (r.id, r.number)).collect();
    let cards = cards::Entity::find()
        .filter(cards::Column::SubmissionId.eq(submission))
        .filter(cards::Column::RequestId.is_in(numbers.keys().copied()))
        .order_by_asc(cards::Column::RowNo)
        .all(db)
        .await?;
    Ok(cards
        .into_iter()
        .map(|c| CardRow { row: usize::try_from(c.row_no).unwrap_or(0), request_number: numbers.get(&c.request_id).cloned().unwrap_or_default(), serial: c.serial, note: c.note.unwrap_or_default() })
        .collect())
}
