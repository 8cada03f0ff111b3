//! A submission's life before and at the admin's decision: the producer
//! files it (form, letter, card list), edits or removes it while `new`; the
//! admin accepts (Kode Tiket, schedule) or rejects it. Also the queue's
//! estimates and the mails that announce a move.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    prelude::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

/// Row errors shown at most; the rest are counted.
const MAX_SHOWN_ERRORS: usize = 200;

use super::{
    card_list::{self, CardRow},
    queue::next_ticket,
    transition, ActiveModel, Column, Entity, Model, Move, Status, Viewer, FILE_AREA, SUBJECT,
};
use crate::models::{
    _entities::{cards, machine_types, organisations, personalization_requests as requests, users},
    audit_events::{Action, Actor, Event},
    cards::Status as CardStatus,
    errors::{AppError, AppResult, FieldErrors},
    imports::{self, Slots},
    master_data::check_len,
    requests::{check_reason, recipients, Letter, Move as RequestMove, Status as RequestStatus},
    uploads, Env,
};

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

/// The card list spreadsheet as uploaded, read and checked by
/// [`CardFile::read`].
pub struct CardFile {
    pub bytes: Vec<u8>,
    pub file_name: String,
    /// What [`card_list::parse`] made of it.
    parsed: Result<Vec<CardRow>, Vec<card_list::RowError>>,
}

impl CardFile {
    /// Reads and checks the list ([`card_list::parse`]) on a blocking
    /// thread, in one of `slots` — or answers at once that the server is
    /// busy. Nothing is written.
    ///
    /// # Errors
    /// `Busy` when every import slot is taken.
    pub async fn read(slots: &Slots, bytes: Vec<u8>, file_name: String) -> AppResult<Self> {
        let slot = slots.take().await?;
        let shared = std::sync::Arc::new(bytes);
        let reading = std::sync::Arc::clone(&shared);
        let parsed = imports::run(slot, move || card_list::parse(&reading)).await?;
        let bytes = std::sync::Arc::try_unwrap(shared).unwrap_or_else(|still_shared| (*still_shared).clone());
        Ok(Self { bytes, file_name, parsed })
    }
}

/// Approved requests addressed to `producer` that no submission carries yet.
///
/// # Errors
/// On database failure.
pub async fn open_requests(db: &DatabaseConnection, producer: i32) -> AppResult<Vec<(requests::Model, Option<organisations::Model>)>> {
    Ok(requests::Entity::find()
        .find_also_related(organisations::Entity)
        .filter(requests::Column::ProducerId.eq(producer))
        .filter(requests::Column::Status.eq(RequestStatus::Approved))
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
async fn check_cards<C: ConnectionTrait>(
    db: &C,
    rows: &[CardRow],
    bundle: &[requests::Model],
    card_count: i32,
    except_submission: Option<i32>,
) -> AppResult<Vec<String>> {
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
        // Another producer's submission is not named: which cards a producer
        // holds is its own business. The producer's own submission is.
        let producer = bundle.first().map(|r| r.producer_id);
        for (card, submission) in q.all(db).await? {
            let whose = match &submission {
                Some(s) if Some(s.producer_id) == producer => format!("pengajuan Anda {}", s.number),
                _ => "pengajuan lain".to_string(),
            };
            errors.push(format!("Baris {}: No. Seri '{}' sudah terdaftar pada {whose}.", row_of.get(card.serial.as_str()).copied().unwrap_or(0), card.serial));
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

/// A card list this long is a bulk write: the planner statistics of
/// `cards` are refreshed after it (PostgreSQL).
const BULK_ROWS: usize = 1_000;

fn after_cards_written(db: &sea_orm::DatabaseConnection, rows: usize) {
    if rows >= BULK_ROWS {
        crate::models::pool::refresh_statistics(db, &["cards"]);
    }
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
            status: Set(CardStatus::Pending),
            created_at: Set(now),
            ..Default::default()
        });
        cards::Entity::insert_many(models).exec(txn).await?;
    }
    Ok(())
}

/// The letter file and the card list, both checked before any write.
struct Files<'a> {
    letter: Option<crate::models::requests::CheckedLetter<'a>>,
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
        Some(f) => match &f.parsed {
            Ok(rows) => Some(rows.clone()),
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

impl ActiveModel {
    /// Buat Surat Personalisasi: validates the form, the files and the card
    /// list (before any write), then inserts the submission, its cards, the
    /// bundled requests' new status and the audit rows in one transaction.
    ///
    /// # Errors
    /// `Invalid` with messages per field (`cards`: one line per row problem).
    pub async fn submit(
        db: &DatabaseConnection,
        user: &users::Model,
        form: &Form,
        letter: Option<&Letter>,
        card_file: Option<&CardFile>,
        env: &Env<'_>,
    ) -> AppResult<Model> {
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
                .filter(requests::Column::Status.eq(RequestStatus::Approved))
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
            created_on: Set(now.with_timezone(&crate::locale::wib()).date_naive()),
            card_count: Set(valid.card_count),
            note: Set(valid.note),
            file_key: Set(key),
            file_kind: Set(letter.kind().extension().to_string()),
            file_name: Set(letter.file_name().to_string()),
            file_size: Set(i32::try_from(letter.bytes().len()).unwrap_or(i32::MAX)),
            cards_file_name: Set(files.cards_name),
            status: Set(Status::New),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|err| unique_to_field(err, "number", "No. Pengajuan ini sudah dipakai pada pengajuan Anda yang lain."))?;
        insert_cards(&txn, submission.id, &rows, &bundle).await.map_err(|err| match err {
            AppError::Db(d) => unique_to_field(d, "cards", "Sebagian No. Seri baru saja didaftarkan pada pengajuan lain. Unggah ulang daftar kartu."),
            other => other,
        })?;
        let bundle_ids: Vec<i32> = bundle.iter().map(|r| r.id).collect();
        let bundled = RequestMove {
            from: RequestStatus::Approved,
            to: RequestStatus::Bundled,
            actor: &actor,
            note: None,
            submission: Some((submission.id, &submission.number)),
            base_url: env.base_url,
            audiences: None,
        };
        crate::models::requests::transition(&txn, &bundle_ids, &bundled).await?;
        Event::new(Action::SubmissionCreated, SUBJECT)
            .subject(submission.id, &submission.number)
            .transition("", Status::New.as_str())
            .note(format!("{} kartu, {} permintaan", submission.card_count, bundle_ids.len()))
            .record(&txn, &actor)
            .await?;
        txn.commit().await?;
        after_cards_written(db, rows.len());
        Ok(submission)
    }

    /// Edits a `new` submission: its fields, optionally a new letter and a
    /// new card list (checked against the same bundled requests).
    ///
    /// # Errors
    /// `NotFound` outside scope, `Conflict` once decided, `Invalid` per field.
    pub async fn edit(
        db: &DatabaseConnection,
        user: &users::Model,
        id: i32,
        form: &Form,
        letter: Option<&Letter>,
        card_file: Option<&CardFile>,
        env: &Env<'_>,
    ) -> AppResult<Model> {
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
                None if valid.card_count != existing.card_count => {
                    vec![format!("Jumlah Kartu SAM berubah menjadi {}; unggah ulang Excel Daftar Kartu SAM yang sesuai.", valid.card_count)]
                }
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
        let result = Entity::update_many().set(row).filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::New)).exec(&txn).await;
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
        Event::new(Action::SubmissionEdited, SUBJECT)
            .subject(id, &updated.number)
            .note(if files.rows.is_some() { "daftar kartu diganti" } else { "" })
            .record(&txn, &Actor::user(user, env.ip))
            .await?;
        txn.commit().await?;
        after_cards_written(db, files.rows.as_ref().map_or(0, Vec::len));
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
        let note = format!("pengajuan {} dihapus", submission.number);
        let freed = RequestMove {
            from: RequestStatus::Bundled,
            to: RequestStatus::Approved,
            actor: &actor,
            note: Some(&note),
            submission: None,
            base_url: "",
            audiences: None,
        };
        crate::models::requests::transition(&txn, &ids, &freed).await?;
        cards::Entity::delete_many().filter(cards::Column::SubmissionId.eq(id)).exec(&txn).await?;
        let deleted = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::Status.eq(Status::New)).exec(&txn).await?;
        if deleted.rows_affected != 1 {
            return Err(AppError::Conflict("Pengajuan ini baru saja diputuskan admin dan tidak dapat dihapus.".into()));
        }
        Event::new(Action::SubmissionRemoved, SUBJECT).subject(id, &submission.number).transition(Status::New.as_str(), "").record(&txn, &actor).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The admin accepts (Kode Tiket, schedule) or rejects (reason; frees
    /// the requests) a `new` submission, through the machine's transition.
    ///
    /// # Errors
    /// `NotFound` for non-admins, `Conflict` when not `new`, `Invalid` for a
    /// rejection without reason.
    pub async fn decide(db: &DatabaseConnection, user: &users::Model, id: i32, to: Status, reason: &str, env: &Env<'_>) -> AppResult<(Model, Vec<i32>)> {
        if Viewer::of(user) != Viewer::Admin || !matches!(to, Status::Accepted | Status::Rejected) {
            return Err(AppError::NotFound);
        }
        let reason = check_reason(reason, to == Status::Rejected)?;
        let txn = crate::models::begin_write(db).await?;
        let submission = Model::find_for(&txn, Viewer::Admin, id).await?;
        let actor = Actor::user(user, env.ip);
        let mut also = Vec::new();
        if to == Status::Accepted && submission.status == Status::New {
            let today = Utc::now().with_timezone(&crate::locale::wib()).date_naive();
            also.push((Column::TicketCode, next_ticket(&txn, today).await?.into()));
        }
        let note = (to == Status::Rejected).then_some(reason);
        let (decided, mails) = transition(&txn, &submission, Move { to, actor: &actor, note, env, also }).await?;
        if to == Status::Rejected {
            // A rejected list no longer holds its serials: they may be listed again.
            cards::Entity::update_many()
                .col_expr(cards::Column::LiveSerial, Expr::value(Option::<String>::None))
                .filter(cards::Column::SubmissionId.eq(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok((decided, mails))
    }
}

/// The mails that announce a submission's move, queued on `txn`: the
/// producer on acceptance or rejection; each institution of the bundle, with
/// its own request numbers only, on acceptance and on Done.
///
/// # Errors
/// On database or template failure.
pub async fn mails_of_move<C: ConnectionTrait>(txn: &C, s: &Model, bundle: &[requests::Model], base_url: &str) -> AppResult<Vec<i32>> {
    let producer = organisations::Entity::find_by_id(s.producer_id).one(txn).await?.ok_or(AppError::NotFound)?;
    let date = |d: Option<NaiveDate>| d.map(crate::locale::long_date).unwrap_or_default();
    let url = crate::mailers::link(base_url, &format!("/pengajuan/{}", s.id));
    let ticket = s.ticket_code.as_deref().unwrap_or_default();
    let mut mails = Vec::new();
    if matches!(s.status, Status::Accepted | Status::Rejected) {
        let message = crate::mailers::submissions::Decided {
            accepted: s.status == Status::Accepted,
            producer: &producer.name,
            number: &s.number,
            title: &s.title,
            ticket,
            cards: crate::locale::group_thousands(u64::try_from(s.card_count).unwrap_or(0)),
            start: date(s.estimated_start),
            finish: date(s.estimated_finish),
            reason: s.decision_note.as_deref().unwrap_or_default(),
            url: url.clone(),
        }
        .message()?;
        mails.extend(crate::models::mail_outbox::enqueue(txn, &recipients(txn, &producer).await?, &message).await?);
    }
    if !matches!(s.status, Status::Accepted | Status::Done) {
        return Ok(mails);
    }
    let institutions: BTreeSet<i32> = bundle.iter().map(|r| r.organisation_id).collect();
    for org_id in institutions {
        let org = organisations::Entity::find_by_id(org_id).one(txn).await?.ok_or(AppError::NotFound)?;
        let own: Vec<&requests::Model> = bundle.iter().filter(|r| r.organisation_id == org_id).collect();
        let numbers = own.iter().map(|r| r.number.as_str()).collect::<Vec<_>>().join(", ");
        let message = if s.status == Status::Accepted {
            crate::mailers::submissions::AcceptedForInstitution {
                institution: &org.name,
                producer: &producer.name,
                ticket,
                requests: numbers,
                start: date(s.estimated_start),
                finish: date(s.estimated_finish),
                url: url.clone(),
            }
            .message()?
        } else {
            let ids: Vec<i32> = own.iter().map(|r| r.id).collect();
            let total = cards::Entity::find().filter(cards::Column::RequestId.is_in(ids.clone())).count(txn).await?;
            let clear =
                cards::Entity::find().filter(cards::Column::RequestId.is_in(ids)).filter(cards::Column::Status.eq(CardStatus::Clear)).count(txn).await?;
            crate::mailers::submissions::DoneForInstitution {
                institution: &org.name,
                producer: &producer.name,
                ticket,
                requests: numbers,
                clear: crate::locale::group_thousands(clear),
                total: crate::locale::group_thousands(total),
                handover: date(s.estimated_handover),
                url: url.clone(),
            }
            .message()?
        };
        mails.extend(crate::models::mail_outbox::enqueue(txn, &recipients(txn, &org).await?, &message).await?);
    }
    Ok(mails)
}

/// A unique index refused the write: shown as a message on `field`.
fn unique_to_field(err: sea_orm::DbErr, field: &str, message: &str) -> AppError {
    let s = err.to_string().to_lowercase();
    if s.contains("unique") || s.contains("duplicate key") {
        AppError::field(field, message)
    } else {
        AppError::from(err)
    }
}
