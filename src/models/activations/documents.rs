//! The Surat Balasan Aktivasi of an approved request: an archived document
//! like a BAST (row in `documents`, verify code, SHA-256, the public
//! verification), numbered with the request's reply number.
//!
//! Rules:
//! - It is ordered in the approval's write transaction ([`queue_reply`]) and
//!   built by the document worker after the commit (`documents::build`); the
//!   mail to the applicant and the institution is queued in the transaction
//!   that makes it ready ([`ready_mail`]).
//! - It is reached through its request only: whoever may see the request
//!   (`list::find_for`) may download it; anyone else gets "not found".
//! - A reply that could not be built was never issued (no file, never
//!   verifiable): the admin orders it again under the same number
//!   ([`reorder`]), which replaces the failed row by a new queued one.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use super::{list, RequestStatus};
use crate::models::{
    _entities::{activation_readers as readers, activation_requests as requests, machine_types, organisations, users},
    audit_events::{Action, Actor, Event},
    documents::{self, ActivationReply, ActivationReplyLine, DocStatus, Kind},
    errors::{AppError, AppResult},
    uploads,
};

/// Audit subject of the request's documents (as the request's own events).
use super::SUBJECT;

/// Queues the reply letter of request `r`, numbered `number`, on the
/// approval's transaction (whose audit row names the number). Returns the
/// document id.
///
/// # Errors
/// On database failure (the approval then rolls back).
pub async fn queue_reply<C: ConnectionTrait>(txn: &C, r: &requests::Model, number: &str, by: &users::Model) -> AppResult<i32> {
    let doc = documents::ActiveModel {
        submission_id: Set(None),
        activation_request_id: Set(Some(r.id)),
        request_id: Set(None),
        kind: Set(Kind::ActivationReply.as_str().into()),
        number: Set(number.to_string()),
        status: Set(DocStatus::Queued),
        verify_code: Set(documents::random_code()),
        file_name: Set(uploads::download_name("Surat-Balasan-Aktivasi", number, "docx")),
        created_by: Set(by.id),
        created_at: Set(Utc::now().into()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(doc.id)
}

/// The reply letter of request `id`, if one was ordered.
async fn reply_of<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<documents::Model>> {
    Ok(documents::Entity::find()
        .filter(documents::Column::ActivationRequestId.eq(id))
        .filter(documents::Column::Kind.eq(Kind::ActivationReply.as_str()))
        .order_by_desc(documents::Column::Id)
        .one(db)
        .await?)
}

/// Documents of request `id` still waiting for the worker (after the
/// approval commits, or after a worker lost its job).
///
/// # Errors
/// On database failure.
pub async fn queued(db: &DatabaseConnection, id: i32) -> AppResult<Vec<i32>> {
    Ok(documents::Entity::find()
        .filter(documents::Column::ActivationRequestId.eq(id))
        .filter(documents::Column::Status.eq(DocStatus::Queued))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect())
}

async fn owner<C: ConnectionTrait>(db: &C, doc: &documents::Model) -> AppResult<requests::Model> {
    let id = doc.activation_request_id.ok_or(AppError::NotFound)?;
    requests::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

async fn organisation<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<organisations::Model> {
    organisations::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

/// The readers an approval activated (active or revoked since), in the
/// order of the request's lines.
async fn activated<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Vec<readers::Model>> {
    Ok(readers::Entity::find()
        .filter(readers::Column::RequestId.eq(id))
        .filter(readers::Column::ActivationNumber.is_not_null())
        .order_by_asc(readers::Column::RowNo)
        .order_by_asc(readers::Column::Id)
        .all(db)
        .await?)
}

/// Jenis Card Reader of each machine type id among `lines`.
pub(super) async fn type_names<C: ConnectionTrait>(db: &C, lines: &[readers::Model]) -> AppResult<std::collections::HashMap<i32, String>> {
    let ids: Vec<i32> = lines.iter().map(|l| l.machine_type_id).collect();
    Ok(machine_types::Entity::find().filter(machine_types::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|m| (m.id, m.name)).collect())
}

/// What the reply letter `doc` says, read for the builder.
///
/// # Errors
/// `NotFound` when its request is gone; `Conflict` without an active
/// Dukcapil official to sign.
pub async fn reply_letter<C: ConnectionTrait>(db: &C, base_url: &str, doc: &documents::Model) -> AppResult<ActivationReply> {
    let r = owner(db, doc).await?;
    let applicant = organisation(db, r.applicant_id).await?;
    let institution = organisation(db, r.institution_id).await?;
    let lines = activated(db, r.id).await?;
    let types = type_names(db, &lines).await?;
    let today = Utc::now().with_timezone(&crate::locale::wib()).date_naive();
    Ok(ActivationReply {
        number: doc.number.clone(),
        date: today,
        applicant: applicant.name.clone(),
        applicant_address: applicant.address.clone().or_else(|| applicant.pic_address.clone()).unwrap_or_default(),
        institution: institution.name,
        letter_number: r.letter_number.clone(),
        letter_date: r.letter_date,
        signer: documents::signer(db).await?,
        lines: lines
            .into_iter()
            .map(|l| ActivationReplyLine {
                reader_type: types.get(&l.machine_type_id).cloned().unwrap_or_default(),
                region: format!("{} / {}", l.province, l.city),
                valid_until: l.valid_until.unwrap_or(today),
                activation_number: l.activation_number.unwrap_or_default(),
                reader_serial: l.reader_serial,
                sam_serial: l.sam_serial,
                perso_number: l.perso_number,
            })
            .collect(),
        verify_url: doc.verify_url(base_url),
        verify_code: doc.verify_code.clone(),
    })
}

/// Who the reply is addressed to, as the public verify page names it.
///
/// # Errors
/// On database failure.
pub async fn addressee_name<C: ConnectionTrait>(db: &C, doc: &documents::Model) -> AppResult<String> {
    let r = owner(db, doc).await?;
    let applicant = organisation(db, r.applicant_id).await?.name;
    if r.applicant_id == r.institution_id {
        return Ok(applicant);
    }
    Ok(format!("{applicant} untuk {}", organisation(db, r.institution_id).await?.name))
}

/// Queues the "aktivasi siap" mail to the users of the applicant and of the
/// institution, on the transaction that makes reply `doc` ready. Returns
/// the mail ids.
///
/// # Errors
/// On database failure or a template that does not render.
pub async fn ready_mail<C: ConnectionTrait>(txn: &C, base_url: &str, doc: &documents::Model) -> AppResult<Vec<i32>> {
    let r = owner(txn, doc).await?;
    let applicant = organisation(txn, r.applicant_id).await?;
    let institution = organisation(txn, r.institution_id).await?;
    let count = readers::Entity::find().filter(readers::Column::RequestId.eq(r.id)).filter(readers::Column::ActivationNumber.is_not_null()).count(txn).await?;
    let mut to = crate::models::requests::recipients(txn, &applicant).await?;
    to.extend(crate::models::requests::recipients(txn, &institution).await?);
    let message = crate::mailers::activations::ActivationReady {
        applicant: &applicant.name,
        institution: &institution.name,
        letter: &r.letter_number,
        number: &doc.number,
        readers: count,
        url: crate::mailers::link(base_url, &format!("/aktivasi/{}", r.id)),
        verify: doc.verify_url(base_url),
    }
    .message()?;
    crate::models::mail_outbox::enqueue(txn, &to, &message).await
}

/// The reply letter as the request page shows it.
#[derive(Debug, Serialize)]
pub struct ReplyState {
    pub number: String,
    /// `queued`, `ready` or `failed`, for the page's styling.
    pub status: DocStatus,
    /// Sedang dibuat / Siap diunduh / Gagal dibuat.
    pub label: &'static str,
    pub file_name: String,
    pub error: Option<String>,
}

/// The reply letter of request `r` (already in the viewer's scope).
///
/// # Errors
/// On database failure.
pub async fn reply_state(db: &DatabaseConnection, r: &requests::Model) -> AppResult<Option<ReplyState>> {
    Ok(reply_of(db, r.id).await?.map(|d| ReplyState { number: d.number, status: d.status, label: d.status.label(), file_name: d.file_name, error: d.error }))
}

/// The ready reply letter of request `id` with its bytes, for whoever may
/// see the request.
///
/// # Errors
/// `NotFound` outside the user's scope, before approval and while the file
/// is not ready.
pub async fn reply_download(db: &DatabaseConnection, upload_dir: &str, user: &users::Model, id: i32) -> AppResult<(documents::Model, Vec<u8>)> {
    list::find_for(db, user, id).await?;
    let doc = reply_of(db, id).await?.ok_or(AppError::NotFound)?;
    let bytes = documents::archived_file(upload_dir, &doc).await?;
    Ok((doc, bytes))
}

/// The admin orders the reply letter of approved request `id` again: one
/// that failed (or, approved before the letter existed, was never ordered)
/// becomes a new queued document with the same number; one still queued is
/// handed to the worker again. Returns the ids to build.
///
/// # Errors
/// `NotFound` for anyone but the admin; `Conflict` before approval or when
/// the letter is ready.
pub async fn reorder(db: &DatabaseConnection, admin: &users::Model, id: i32, ip: &str) -> AppResult<Vec<i32>> {
    if !admin.is_admin() {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let r = requests::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let Some(number) = r.reply_number.clone().filter(|_| r.status == RequestStatus::Approved.as_str()) else {
        return Err(AppError::Conflict(format!("Permohonan {} belum disetujui; surat balasan terbit setelah persetujuan.", r.letter_number)));
    };
    let ids = match reply_of(&txn, id).await? {
        Some(doc) if doc.status == DocStatus::Ready => {
            return Err(AppError::Conflict(format!("Surat Balasan Aktivasi {number} sudah siap diunduh.")));
        }
        Some(doc) if doc.status == DocStatus::Queued => vec![doc.id],
        found => {
            if let Some(failed) = found {
                failed.delete(&txn).await?;
            }
            let id = queue_reply(&txn, &r, &number, admin).await?;
            Event::new(Action::DocumentOrdered, SUBJECT)
                .subject(r.id, &r.letter_number)
                .note(format!("{} {number}", Kind::ActivationReply.label()))
                .record(&txn, &Actor::user(admin, ip))
                .await?;
            vec![id]
        }
    };
    txn.commit().await?;
    Ok(ids)
}
