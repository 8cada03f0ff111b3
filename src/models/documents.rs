//! The archive of generated hand-over documents: ordering them (numbers are
//! given at once, files are built by a background worker), building one,
//! downloading it, and the public verification.
//!
//! Numbers, unique and sequential per year and kind:
//! - BAST: `SAM-<year>-<00001>` (file `BAST-SAM-2026-00001.docx`);
//! - card list: `DK-<year>-<00001>` (file `Daftar-Kartu-<Kode Tiket>.xlsx`,
//!   `-<n>` added when the submission has more than one line);
//! - Surat Balasan: `SB-<year>-<00001>` (file `Surat-Balasan-SB-2026-00001.docx`);
//! - Surat Balasan Aktivasi: the activation request's reply number
//!   `AKT-<year>-<00001>`, given at approval (file
//!   `Surat-Balasan-Aktivasi-AKT-2026-00001.docx`).
//!
//! A document belongs to a submission (`submission_id`) or to an activation
//! request (`activation_request_id`), never both (the table checks it); each
//! is reached and scoped through its owner.
//!
//! Every document carries a verification link with its number and a random
//! code, and is archived with its SHA-256: the public verify page shows the
//! document's number, type, parties and date when the number and the code (or
//! the SHA-256 of the file) match, and nothing else.
use std::collections::HashMap;

use chrono::{Datelike, Utc};
use rand::RngCore;
use sea_orm::{prelude::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub mod activation_reply;
pub mod bast;
pub mod card_list;
pub mod qr;
pub mod reply;
pub mod word;

pub use activation_reply::{
    activation_reply_docx, activation_reply_manifests, activation_reply_opening, ActivationReply, ActivationReplyLine, ACTIVATION_REPLY_SUBJECT,
};
pub use bast::{bast_docx, bast_handover, bast_opening, Bast};
pub use card_list::{card_list_xlsx, ListFormats, ListRow, LIST_HEADERS, LIST_MAX_ROWS, LIST_SHEET};
pub use qr::{qr_png, QR_MODULE_PX, QR_QUIET_ZONE};
pub use reply::{reply_docx, reply_opening, Reply, ReplyLine, REPLY_SUBJECT};
pub use word::{DocumentError, Party};

pub use super::_entities::documents::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::{cards, machine_types, officials, organisations, personalization_requests as requests, submissions, users},
    audit_events::{Action, Actor, Event},
    cards::Status as CardStatus,
    errors::{AppError, AppResult, FieldErrors},
    submissions::{handover, Status, Viewer, SUBJECT},
    uploads,
};

/// Upload area of the archive.
pub const AREA: &str = "documents";

/// The kinds of documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bast,
    CardList,
    Reply,
    /// The reply to a Permohonan Aktivasi, numbered with its reply number.
    ActivationReply,
}

impl Kind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bast => "bast",
            Self::CardList => "card_list",
            Self::Reply => "reply",
            Self::ActivationReply => "activation_reply",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Bast, Self::CardList, Self::Reply, Self::ActivationReply].into_iter().find(|k| k.as_str() == s)
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Bast => "Berita Acara Serah Terima (BAST)",
            Self::CardList => "Daftar Kartu SAM hasil personalisasi",
            Self::Reply => "Surat Balasan",
            Self::ActivationReply => "Surat Balasan Aktivasi",
        }
    }

    const fn prefix(self) -> &'static str {
        match self {
            Self::Bast => "SAM",
            Self::CardList => "DK",
            Self::Reply => "SB",
            Self::ActivationReply => "AKT",
        }
    }
}

pub use super::_entities::sea_orm_active_enums::DocumentStatus as DocStatus;

impl DocStatus {
    /// `queued → ready | failed`: a document is built once.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::Queued, Self::Ready | Self::Failed))
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Queued => "Sedang dibuat",
            Self::Ready => "Siap diunduh",
            Self::Failed => "Gagal dibuat",
        }
    }
}

/// The one way a document's status changes, guarded by `status = from`, with
/// the columns the move fills. `false`: another worker moved it first.
///
/// # Errors
/// `Conflict` for an illegal move; database failure.
pub async fn transition<C: ConnectionTrait>(txn: &C, id: i32, from: DocStatus, to: DocStatus, also: Vec<(Column, sea_orm::Value)>) -> AppResult<bool> {
    if !from.can_become(to) {
        return Err(AppError::Conflict(format!("Dokumen berstatus {} tidak dapat diubah menjadi {}.", from.label(), to.label())));
    }
    let mut update = Entity::update_many().col_expr(Column::Status, Expr::value(to));
    for (column, value) in also {
        update = update.col_expr(column, Expr::value(value));
    }
    Ok(update.filter(Column::Id.eq(id)).filter(Column::Status.eq(from)).exec(txn).await?.rows_affected == 1)
}

impl Model {
    #[must_use]
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Bast)
    }

    /// The link printed on the document and in its QR code.
    #[must_use]
    pub fn verify_url(&self, base_url: &str) -> String {
        format!("{}/verifikasi?nomor={}&kode={}", base_url.trim_end_matches('/'), self.number, self.verify_code)
    }
}

pub(crate) fn random_code() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode_upper(bytes)
}

/// The next number of `kind` in `year`.
async fn next_number<C: ConnectionTrait>(db: &C, kind: Kind, year: i32) -> AppResult<String> {
    let prefix = format!("{}-{year}-", kind.prefix());
    let last = Entity::find()
        .filter(Column::Number.starts_with(&prefix))
        .order_by_desc(Column::Number)
        .one(db)
        .await?
        .and_then(|d| d.number.trim_start_matches(&prefix).parse::<u32>().ok())
        .unwrap_or(0);
    Ok(format!("{prefix}{:05}", last + 1))
}

/// Cetak: `bast_<request id>`, `list_<request id>` and `reply` checkboxes.
/// Creates the queued documents in one transaction; returns their ids for
/// the worker.
///
/// # Errors
/// `NotFound` outside the producer of the submission and the admin;
/// `Conflict` before Done (and BAST/list before Received); `Invalid` when
/// nothing is chosen.
pub async fn order(db: &DatabaseConnection, user: &users::Model, id: i32, form: &HashMap<String, String>, ip: &str) -> AppResult<Vec<i32>> {
    let viewer = Viewer::of(user);
    if !matches!(viewer, Viewer::Admin | Viewer::Producer(_)) {
        return Err(AppError::NotFound);
    }
    let txn = super::begin_write(db).await?;
    let s = submissions::Model::find_for(&txn, viewer, id).await?;
    let status = s.status;
    if !matches!(status, Status::Done | Status::Received) {
        return Err(AppError::Conflict(format!(
            "Pengajuan {} berstatus {}; dokumen serah terima dicetak setelah personalisasi selesai (Done).",
            s.number,
            status.label()
        )));
    }
    let lines = handover::lines(&txn, id).await?;
    let checked = |name: String| form.get(&name).is_some_and(|v| !v.is_empty());
    let mut wanted: Vec<(Kind, Option<&handover::Line>)> = Vec::new();
    for line in &lines {
        if checked(format!("bast_{}", line.request.id)) {
            wanted.push((Kind::Bast, Some(line)));
        }
        if checked(format!("list_{}", line.request.id)) {
            wanted.push((Kind::CardList, Some(line)));
        }
    }
    if checked("reply".into()) {
        wanted.push((Kind::Reply, None));
    }
    if wanted.is_empty() {
        let mut errors = FieldErrors::new();
        errors.add("documents", "Pilih dokumen yang akan dicetak: Cetak BAST?, Cetak List? pada baris lembaga, atau Cetak Surat Balasan.");
        return Err(AppError::Invalid(errors));
    }
    if status == Status::Done && wanted.iter().any(|(k, _)| *k != Kind::Reply) {
        return Err(AppError::Conflict(format!(
            "BAST dan daftar kartu pengajuan {} dicetak setelah Submit Penerimaan (status Received): jumlah yang diserahkan adalah Jumlah Diterima.",
            s.number
        )));
    }
    let year = chrono::Utc::now().with_timezone(&crate::locale::wib()).year();
    let ticket = s.ticket_code.clone().unwrap_or_else(|| s.number.clone());
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    let mut ids = Vec::new();
    for (kind, line) in wanted {
        let number = next_number(&txn, kind, year).await?;
        let file_name = match kind {
            Kind::Bast => uploads::download_name("BAST", &number, "docx"),
            Kind::Reply => uploads::download_name("Surat-Balasan", &number, "docx"),
            Kind::ActivationReply => uploads::download_name("Surat-Balasan-Aktivasi", &number, "docx"),
            Kind::CardList => {
                let position = line.and_then(|l| lines.iter().position(|x| x.request.id == l.request.id)).unwrap_or(0);
                let suffix = if lines.len() > 1 { format!("-{}", position + 1) } else { String::new() };
                uploads::download_name("Daftar-Kartu", &format!("{ticket}{suffix}"), "xlsx")
            }
        };
        let doc = ActiveModel {
            submission_id: Set(Some(id)),
            request_id: Set(line.map(|l| l.request.id)),
            kind: Set(kind.as_str().into()),
            number: Set(number.clone()),
            status: Set(DocStatus::Queued),
            verify_code: Set(random_code()),
            file_name: Set(file_name),
            created_by: Set(user.id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Event::new(Action::DocumentOrdered, SUBJECT)
            .subject(id, &s.number)
            .note(format!("{} {number}", kind.label()))
            .record(&txn, &Actor::user(user, ip))
            .await?;
        ids.push(doc.id);
    }
    txn.commit().await?;
    Ok(ids)
}

/// Builds one queued document, archives it and, for a BAST, queues the
/// mail to the institution and the producer. Returns the mail ids.
///
/// # Errors
/// On database or file failure; a document that cannot be built is marked
/// `failed` with the reason.
pub async fn build(db: &DatabaseConnection, env: &super::Env<'_>, id: i32) -> AppResult<Vec<i32>> {
    let Some(doc) = Entity::find_by_id(id).one(db).await? else { return Ok(Vec::new()) };
    if doc.status != DocStatus::Queued {
        return Ok(Vec::new());
    }
    let made = render(db, env.base_url, &doc).await;
    // The file is archived before the write transaction, which stays short
    // (a file left behind by a lost race is never referenced).
    let made = match made {
        Ok(bytes) => uploads::store(env.upload_dir, AREA, &bytes).await.map(|key| (bytes, key)),
        Err(e) => Err(e),
    };
    let txn = super::begin_write(db).await?;
    let mut mails = Vec::new();
    match made {
        Ok((bytes, key)) => {
            let hash = hex::encode(Sha256::digest(&bytes));
            let done = vec![
                (Column::Sha256, hash.into()),
                (Column::FileKey, key.into()),
                (Column::FileSize, i32::try_from(bytes.len()).unwrap_or(i32::MAX).into()),
                (Column::ReadyAt, sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now()).into()),
            ];
            if !transition(&txn, id, DocStatus::Queued, DocStatus::Ready, done).await? {
                return Ok(Vec::new());
            }
            match doc.kind() {
                Kind::Bast => mails = bast_mail(&txn, env.base_url, &doc).await?,
                Kind::ActivationReply => mails = super::activations::documents::ready_mail(&txn, env.base_url, &doc).await?,
                Kind::CardList | Kind::Reply => {}
            }
        }
        Err(err) => {
            tracing::error!(err = err.to_string(), doc = doc.number, "document not built");
            transition(&txn, id, DocStatus::Queued, DocStatus::Failed, vec![(Column::Error, err.to_string().into())]).await?;
        }
    }
    txn.commit().await?;
    Ok(mails)
}

/// The first active Dukcapil official signs as Pihak Pertama.
pub(crate) async fn signer<C: ConnectionTrait>(db: &C) -> AppResult<Party> {
    let o = officials::Entity::find()
        .filter(officials::Column::Active.eq(true))
        .order_by_asc(officials::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Conflict("Belum ada pejabat Dukcapil aktif di Master Data: dokumen ini ditandatangani pejabat Dukcapil.".into()))?;
    Ok(Party { name: o.name, position: o.position, office_address: o.office_address })
}

async fn render(db: &DatabaseConnection, base_url: &str, doc: &Model) -> AppResult<Vec<u8>> {
    let docerr = |e: DocumentError| AppError::Internal(e.to_string());
    if doc.kind() == Kind::ActivationReply {
        let letter = super::activations::documents::reply_letter(db, base_url, doc).await?;
        return crate::models::heavy::run(move || activation_reply_docx(&letter)).await.map_err(|e| AppError::Internal(e.to_string()))?.map_err(docerr);
    }
    let s = submissions::Entity::find_by_id(doc.submission_id.ok_or(AppError::NotFound)?).one(db).await?.ok_or(AppError::NotFound)?;
    let producer = organisations::Entity::find_by_id(s.producer_id).one(db).await?.ok_or(AppError::NotFound)?;
    let verify_url = doc.verify_url(base_url);
    let today = Utc::now().with_timezone(&crate::locale::wib()).date_naive();
    let lines = handover::lines(db, s.id).await?;
    let line = doc.request_id.and_then(|r| lines.iter().find(|l| l.request.id == r));
    let pic = Party {
        name: producer.pic_name.clone().unwrap_or_else(|| producer.name.clone()),
        position: producer.pic_position.clone().unwrap_or_else(|| "PIC Produsen".into()),
        office_address: producer.pic_address.clone().or_else(|| producer.address.clone()).unwrap_or_default(),
    };
    match doc.kind() {
        Kind::Bast => {
            let line = line.ok_or(AppError::NotFound)?;
            let machine = machine_types::Entity::find_by_id(line.request.machine_type_id).one(db).await?.map(|m| m.name).unwrap_or_default();
            let bast = Bast {
                number: doc.number.clone(),
                date: today,
                producer: producer.name.clone(),
                first: signer(db).await?,
                second: pic,
                institution: line.institution.clone(),
                letter_number: line.request.number.clone(),
                letter_date: line.request.request_date,
                letter_subject: line.request.title.clone(),
                quantity: line.received.unwrap_or(line.clear),
                machine_type: machine,
                verify_url,
                verify_code: doc.verify_code.clone(),
            };
            crate::models::heavy::run(move || bast_docx(&bast)).await.map_err(|e| AppError::Internal(e.to_string()))?.map_err(docerr)
        }
        Kind::CardList => {
            let line = line.ok_or(AppError::NotFound)?;
            let rows: Vec<ListRow> = cards::Entity::find()
                .filter(cards::Column::RequestId.eq(line.request.id))
                .filter(cards::Column::Status.eq(CardStatus::Clear))
                .order_by_asc(cards::Column::RowNo)
                .all(db)
                .await?
                .into_iter()
                .map(|c| ListRow {
                    serial: c.serial,
                    manifest: c.manifest_number.unwrap_or_default(),
                    pcid: c.pcid.unwrap_or_default(),
                    note: c.note.unwrap_or_default(),
                })
                .collect();
            let (producer_name, institution) = (producer.name.clone(), line.institution.clone());
            crate::models::heavy::run(move || card_list_xlsx(&producer_name, &institution, &rows, &verify_url))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(docerr)
        }
        Kind::Reply => {
            let reply = Reply {
                number: doc.number.clone(),
                date: today,
                producer: producer.name.clone(),
                producer_address: producer.address.clone().unwrap_or_default(),
                recipient: pic,
                signer: signer(db).await?,
                submission_number: s.number.clone(),
                submission_date: s.created_on,
                ticket: s.ticket_code.clone().unwrap_or_default(),
                lines: lines
                    .iter()
                    .map(|l| ReplyLine {
                        institution: l.institution.clone(),
                        request_number: l.request.number.clone(),
                        request_date: l.request.request_date,
                        requested: l.requested,
                        clear: l.clear,
                    })
                    .collect(),
                verify_url,
                verify_code: doc.verify_code.clone(),
            };
            crate::models::heavy::run(move || reply_docx(&reply)).await.map_err(|e| AppError::Internal(e.to_string()))?.map_err(docerr)
        }
        Kind::ActivationReply => Err(AppError::NotFound),
    }
}

async fn bast_mail<C: ConnectionTrait>(db: &C, base_url: &str, doc: &Model) -> AppResult<Vec<i32>> {
    let Some(submission) = doc.submission_id else { return Ok(Vec::new()) };
    let s = submissions::Entity::find_by_id(submission).one(db).await?.ok_or(AppError::NotFound)?;
    let producer = organisations::Entity::find_by_id(s.producer_id).one(db).await?.ok_or(AppError::NotFound)?;
    let Some(request) = doc.request_id else { return Ok(Vec::new()) };
    let request = requests::Entity::find_by_id(request).one(db).await?.ok_or(AppError::NotFound)?;
    let institution = organisations::Entity::find_by_id(request.organisation_id).one(db).await?.ok_or(AppError::NotFound)?;
    let mut to = super::requests::recipients(db, &institution).await?;
    to.extend(super::requests::recipients(db, &producer).await?);
    let message = crate::mailers::handovers::BastReady {
        institution: &institution.name,
        producer: &producer.name,
        ticket: s.ticket_code.as_deref().unwrap_or_default(),
        request: &request.number,
        number: &doc.number,
        url: crate::mailers::link(base_url, &format!("/bast/{}", s.id)),
        verify: doc.verify_url(base_url),
    }
    .message()?;
    super::mail_outbox::enqueue(db, &to, &message).await
}

/// A submission's document the user may download, with its bytes (an
/// activation request's documents are downloaded through their request).
///
/// # Errors
/// `NotFound` outside the user's scope or while the file is not ready.
pub async fn for_download(db: &DatabaseConnection, upload_dir: &str, user: &users::Model, id: i32) -> AppResult<(Model, Vec<u8>)> {
    let doc = Entity::find_by_id(id).filter(Column::SubmissionId.is_not_null()).one(db).await?.ok_or(AppError::NotFound)?;
    let viewer = Viewer::of(user);
    submissions::Model::find_for(db, viewer, doc.submission_id.ok_or(AppError::NotFound)?).await?;
    if let Viewer::Institution(org) = viewer {
        // An institution gets the documents of its own lines only.
        let Some(request) = doc.request_id else { return Err(AppError::NotFound) };
        let own = requests::Entity::find_by_id(request).filter(requests::Column::OrganisationId.eq(org)).one(db).await?;
        if own.is_none() {
            return Err(AppError::NotFound);
        }
    }
    let bytes = archived_file(upload_dir, &doc).await?;
    Ok((doc, bytes))
}

/// The archived file of a ready document.
///
/// # Errors
/// `NotFound` while the file is not ready.
pub async fn archived_file(upload_dir: &str, doc: &Model) -> AppResult<Vec<u8>> {
    if doc.status != DocStatus::Ready {
        return Err(AppError::NotFound);
    }
    let path = doc.file_key.as_deref().and_then(|k| uploads::path_of(upload_dir, AREA, k)).ok_or(AppError::NotFound)?;
    tokio::fs::read(&path).await.map_err(|e| AppError::Internal(format!("document file: {e}")))
}

/// The documents of a submission the user may see, newest first.
///
/// # Errors
/// On database failure.
pub async fn of_submission(db: &DatabaseConnection, user: &users::Model, id: i32) -> AppResult<Vec<Model>> {
    let viewer = Viewer::of(user);
    let mut q = Entity::find().filter(Column::SubmissionId.eq(id)).order_by_desc(Column::Id);
    if let Viewer::Institution(org) = viewer {
        let own: Vec<i32> = requests::Entity::find()
            .filter(requests::Column::SubmissionId.eq(id))
            .filter(requests::Column::OrganisationId.eq(org))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        q = q.filter(Column::RequestId.is_in(own));
    }
    Ok(q.all(db).await?)
}

/// The issuer named on the verify page.
const DUKCAPIL: &str = "Direktorat Jenderal Kependudukan dan Pencatatan Sipil";

/// What the public verify page shows of a genuine document.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub number: String,
    pub kind: String,
    pub first_party: String,
    pub second_party: String,
    pub date: String,
}

/// Looks a document up by number and proof: its verification code or the
/// SHA-256 of its file (hex). `None` unless both match a ready document.
///
/// # Errors
/// On database failure.
pub async fn verify(db: &DatabaseConnection, number: &str, proof: &str) -> AppResult<Option<Verified>> {
    let (number, proof) = (number.trim(), proof.trim().to_lowercase());
    if number.is_empty() || proof.is_empty() || number.len() > 60 || proof.len() > 64 {
        return Ok(None);
    }
    let Some(doc) = Entity::find().filter(Column::Number.eq(number)).filter(Column::Status.eq(DocStatus::Ready)).one(db).await? else { return Ok(None) };
    let code_ok = constant_eq(proof.as_bytes(), doc.verify_code.to_lowercase().as_bytes());
    let hash_ok = doc.sha256.as_deref().is_some_and(|h| constant_eq(proof.as_bytes(), h.as_bytes()));
    if !(code_ok || hash_ok) {
        return Ok(None);
    }
    let date = doc.ready_at.map(|t| crate::locale::long_date(t.with_timezone(&crate::locale::wib()).date_naive())).unwrap_or_default();
    let kind = doc.kind();
    if kind == Kind::ActivationReply {
        let applicant = super::activations::documents::addressee_name(db, &doc).await?;
        return Ok(Some(Verified { number: doc.number, kind: kind.label().into(), first_party: DUKCAPIL.into(), second_party: applicant, date }));
    }
    let s = submissions::Entity::find_by_id(doc.submission_id.ok_or(AppError::NotFound)?).one(db).await?.ok_or(AppError::NotFound)?;
    let producer = organisations::Entity::find_by_id(s.producer_id).one(db).await?.map(|o| o.name).unwrap_or_default();
    let institution = match doc.request_id {
        Some(r) => match requests::Entity::find_by_id(r).one(db).await? {
            Some(r) => organisations::Entity::find_by_id(r.organisation_id).one(db).await?.map(|o| o.name).unwrap_or_default(),
            None => String::new(),
        },
        None => String::new(),
    };
    let (first, second) = match kind {
        Kind::Bast | Kind::Reply | Kind::ActivationReply => (DUKCAPIL.to_string(), producer),
        Kind::CardList => (producer, institution),
    };
    Ok(Some(Verified { number: doc.number, kind: kind.label().into(), first_party: first, second_party: second, date }))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
