//! The life of a Permohonan Aktivasi: filed with its checked readers,
//! withdrawn by its applicant or decided by the admin (approval activates
//! every reader and numbers the reply letter), and readers revoked one by
//! one afterwards.
//!
//! Rules:
//! - [`transition`] is the only writer of a request's status and
//!   [`move_readers`] of its readers' statuses: each is a conditional
//!   update from the expected state, so a second, concurrent decision
//!   finds nothing to move and is a conflict.
//! - The lines are checked again inside the filing's write transaction; two
//!   filings racing for one SAM or reader meet the unique `live_*` indexes
//!   and the second is refused whole.
//! - Every change writes its audit row in the same transaction.
use chrono::{Datelike, Months, Utc};
use sea_orm::{
    prelude::Expr, sea_query::SimpleExpr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use super::{
    readers::{check, ReaderInput},
    ActivationKey, Manifest, ReaderStatus, RequestStatus, RevocationList, Revoked,
};
use crate::models::{
    _entities::{activation_readers as readers, activation_requests as requests, machine_types, organisations, personalization_requests, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
    roles::Role,
    submissions::card_list::RowError,
};

/// The letter of a filing, already stored (`uploads::store`).
#[derive(Debug, Clone)]
pub struct Letter {
    pub number: String,
    pub date: chrono::NaiveDate,
    pub file_key: String,
    pub file_kind: String,
    pub file_name: String,
    pub file_size: i32,
}

/// How long a manifest is valid from its activation.
pub const VALID_MONTHS: u32 = 12;

/// Whether `user` may file for readers of `institution`: the institution
/// itself, or a producer that handed SAM cards over to it.
async fn may_file<C: ConnectionTrait>(db: &C, user: &users::Model, institution: i32) -> AppResult<bool> {
    let Some(org) = user.organisation_id else { return Ok(false) };
    Ok(match user.role() {
        Role::Lembaga | Role::DukcapilKota => org == institution,
        Role::Produsen => {
            personalization_requests::Entity::find()
                .filter(personalization_requests::Column::ProducerId.eq(org))
                .filter(personalization_requests::Column::OrganisationId.eq(institution))
                .filter(personalization_requests::Column::Status.eq(crate::models::requests::Status::Received))
                .count(db)
                .await?
                > 0
        }
        _ => false,
    })
}

/// Files a request for `institution`'s readers `lines`; its id, or the
/// lines' problems (nothing stored then).
///
/// # Errors
/// `NotFound` when `user` may not file for `institution`; `Conflict` when a
/// concurrent filing took one of the SAMs or readers.
pub async fn file(
    db: &DatabaseConnection,
    user: &users::Model,
    institution: i32,
    letter: &Letter,
    lines: &[ReaderInput],
    ip: &str,
) -> AppResult<Result<i32, Vec<RowError>>> {
    if !may_file(db, user, institution).await? {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let checked = match check(&txn, institution, lines).await? {
        Ok(checked) => checked,
        Err(rows) => return Ok(Err(rows)),
    };
    let now = Utc::now();
    let request = requests::ActiveModel {
        applicant_id: Set(user.organisation_id.unwrap_or(institution)),
        institution_id: Set(institution),
        created_by: Set(user.id),
        letter_number: Set(letter.number.clone()),
        letter_date: Set(letter.date),
        file_key: Set(letter.file_key.clone()),
        file_kind: Set(letter.file_kind.clone()),
        file_name: Set(letter.file_name.clone()),
        file_size: Set(letter.file_size),
        status: Set(RequestStatus::New.as_str().into()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::readers::insert(&txn, request.id, &checked, now).await?;
    Event::new(Action::ActivationFiled, super::SUBJECT)
        .subject(request.id, &request.letter_number)
        .note(format!("{} card reader", checked.len()))
        .record(&txn, &Actor::user(user, ip))
        .await?;
    super::mails::filed(&txn, &request).await?;
    txn.commit().await?;
    Ok(Ok(request.id))
}

/// The one writer of a request's status: `from` → `to` with `also`, when
/// the request is still in `from`. `false` when it was not.
///
/// # Errors
/// `Conflict` for a move the machine does not allow.
pub async fn transition<C: ConnectionTrait>(
    db: &C,
    id: i32,
    from: RequestStatus,
    to: RequestStatus,
    also: Vec<(requests::Column, SimpleExpr)>,
) -> AppResult<bool> {
    if !from.can_become(to) {
        return Err(AppError::Conflict(format!("Permohonan berstatus {} tidak dapat menjadi {}.", from.label(), to.label())));
    }
    let mut update = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(to.as_str()))
        .col_expr(requests::Column::UpdatedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now())));
    for (col, value) in also {
        update = update.col_expr(col, value);
    }
    Ok(update.filter(requests::Column::Id.eq(id)).filter(requests::Column::Status.eq(from.as_str())).exec(db).await?.rows_affected == 1)
}

/// The one writer of readers' statuses: every reader of `request` (or the
/// one reader `only`) in `from` moves to `to` with `also`; how many moved.
/// A reader that stops binding gives its SAM and S/N free.
///
/// # Errors
/// `Conflict` for a move the machine does not allow.
pub async fn move_readers<C: ConnectionTrait>(
    db: &C,
    request: i32,
    only: Option<i32>,
    from: ReaderStatus,
    to: ReaderStatus,
    also: Vec<(readers::Column, SimpleExpr)>,
) -> AppResult<u64> {
    if !from.can_become(to) {
        return Err(AppError::Conflict(format!("Card reader berstatus {} tidak dapat menjadi {}.", from.label(), to.label())));
    }
    let mut update = readers::Entity::update_many().col_expr(readers::Column::Status, Expr::value(to.as_str()));
    if !to.binds() {
        update = update
            .col_expr(readers::Column::LiveSam, Expr::value(Option::<String>::None))
            .col_expr(readers::Column::LiveReader, Expr::value(Option::<String>::None));
    }
    for (col, value) in also {
        update = update.col_expr(col, value);
    }
    let mut update = update.filter(readers::Column::RequestId.eq(request)).filter(readers::Column::Status.eq(from.as_str()));
    if let Some(id) = only {
        update = update.filter(readers::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

async fn request_for<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<requests::Model> {
    requests::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

fn stale(r: &requests::Model, doing: &str) -> AppError {
    let now = RequestStatus::parse(&r.status).map_or("lain", RequestStatus::label);
    AppError::Conflict(format!("Permohonan {} berstatus {now}; tidak dapat {doing}.", r.letter_number))
}

/// The admin approves: the reply letter gets its number and is queued for
/// the document worker (`documents::queued` after the commit), every reader
/// is activated with its own number and a year of validity. Returns the
/// reply number.
///
/// # Errors
/// `NotFound` for anyone but the admin; `Conflict` unless the request is new.
pub async fn approve(db: &DatabaseConnection, admin: &users::Model, id: i32, ip: &str) -> AppResult<String> {
    if !admin.is_admin() {
        return Err(AppError::NotFound);
    }
    let txn = crate::models::begin_write(db).await?;
    let r = request_for(&txn, id).await?;
    let now = Utc::now();
    let today = now.with_timezone(&crate::locale::wib()).date_naive();
    let prefix = format!("AKT-{}-", today.year());
    let last = requests::Entity::find()
        .filter(requests::Column::ReplyNumber.starts_with(&prefix))
        .order_by_desc(requests::Column::ReplyNumber)
        .one(&txn)
        .await?
        .and_then(|x| x.reply_number)
        .and_then(|n| n.trim_start_matches(&prefix).parse::<u32>().ok())
        .unwrap_or(0);
    let number = format!("{prefix}{:05}", last + 1);
    let also = vec![
        (requests::Column::ReplyNumber, Expr::value(number.clone())),
        (requests::Column::DecidedBy, Expr::value(admin.id)),
        (requests::Column::DecidedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now))),
    ];
    if !transition(&txn, id, RequestStatus::New, RequestStatus::Approved, also).await? {
        return Err(stale(&r, "disetujui"));
    }
    let until = today.checked_add_months(Months::new(VALID_MONTHS)).and_then(|d| d.pred_opt()).unwrap_or(today);
    let pending =
        readers::Entity::find().filter(readers::Column::RequestId.eq(id)).filter(readers::Column::Status.eq(ReaderStatus::Pending.as_str())).all(&txn).await?;
    for (i, reader) in pending.iter().enumerate() {
        let also = vec![
            (readers::Column::ActivationNumber, Expr::value(format!("{number}-{:04}", i + 1))),
            (readers::Column::ValidFrom, Expr::value(today)),
            (readers::Column::ValidUntil, Expr::value(until)),
            (readers::Column::IssuedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now))),
        ];
        move_readers(&txn, id, Some(reader.id), ReaderStatus::Pending, ReaderStatus::Active, also).await?;
    }
    Event::new(Action::ActivationApproved, super::SUBJECT)
        .subject(id, &r.letter_number)
        .transition(RequestStatus::New.as_str(), RequestStatus::Approved.as_str())
        .note(format!("{number}: {} card reader aktif", pending.len()))
        .record(&txn, &Actor::user(admin, ip))
        .await?;
    super::mails::approved(&txn, id).await?;
    super::documents::queue_reply(&txn, &r, &number, admin).await?;
    txn.commit().await?;
    Ok(number)
}

/// The admin rejects with a reason, or the applicant withdraws: the
/// readers are void and their SAMs free.
///
/// # Errors
/// `NotFound` outside the deciding role; `Invalid` without a reason;
/// `Conflict` unless the request is new.
pub async fn end(db: &DatabaseConnection, user: &users::Model, id: i32, to: RequestStatus, reason: &str, ip: &str) -> AppResult<()> {
    let txn = crate::models::begin_write(db).await?;
    let r = request_for(&txn, id).await?;
    let allowed = match to {
        RequestStatus::Rejected => user.is_admin(),
        RequestStatus::Withdrawn => user.id == r.created_by,
        _ => false,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    let reason = reason.trim();
    if to == RequestStatus::Rejected && reason.chars().count() < 5 {
        return Err(AppError::field("reason", "Tuliskan alasan penolakan (minimal 5 karakter)."));
    }
    let also = if to == RequestStatus::Rejected {
        vec![
            (requests::Column::DecisionNote, Expr::value(reason.chars().take(1000).collect::<String>())),
            (requests::Column::DecidedBy, Expr::value(user.id)),
            (requests::Column::DecidedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now()))),
        ]
    } else {
        Vec::new()
    };
    if !transition(&txn, id, RequestStatus::New, to, also).await? {
        return Err(stale(&r, if to == RequestStatus::Rejected { "ditolak" } else { "ditarik" }));
    }
    move_readers(&txn, id, None, ReaderStatus::Pending, ReaderStatus::Void, Vec::new()).await?;
    let action = if to == RequestStatus::Rejected { Action::ActivationRejected } else { Action::ActivationWithdrawn };
    let mut event = Event::new(action, super::SUBJECT).subject(id, &r.letter_number).transition(RequestStatus::New.as_str(), to.as_str());
    if !reason.is_empty() {
        event = event.note(reason.chars().take(500).collect::<String>());
    }
    event.record(&txn, &Actor::user(user, ip)).await?;
    super::mails::ended(&txn, id).await?;
    txn.commit().await?;
    Ok(())
}

/// Revokes an active reader (lost, stolen, broken) on `date`: its manifest
/// goes on the revocation list and its SAM is free for a new reader.
///
/// # Errors
/// `NotFound` for anyone but the admin and the reader's institution;
/// `Invalid` without a reason; `Conflict` unless the reader is active.
pub async fn revoke(db: &DatabaseConnection, user: &users::Model, reader_id: i32, reason: &str, date: chrono::NaiveDate, ip: &str) -> AppResult<()> {
    let txn = crate::models::begin_write(db).await?;
    let reader = readers::Entity::find_by_id(reader_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let r = request_for(&txn, reader.request_id).await?;
    if !(user.is_admin() || (matches!(user.role(), Role::Lembaga | Role::DukcapilKota) && user.organisation_id == Some(r.institution_id))) {
        return Err(AppError::NotFound);
    }
    let reason = reason.trim();
    if reason.chars().count() < 3 {
        return Err(AppError::field("reason", "Tuliskan alasan pencabutan (hilang, dicuri, rusak, …)."));
    }
    let also =
        vec![(readers::Column::RevokedOn, Expr::value(date)), (readers::Column::RevokeReason, Expr::value(reason.chars().take(500).collect::<String>()))];
    if move_readers(&txn, reader.request_id, Some(reader.id), ReaderStatus::Active, ReaderStatus::Revoked, also).await? != 1 {
        let now = ReaderStatus::parse(&reader.status).map_or("lain", ReaderStatus::label);
        return Err(AppError::Conflict(format!("Card reader {} berstatus {now}; hanya card reader aktif yang dapat dicabut.", reader.reader_serial)));
    }
    Event::new(Action::ReaderRevoked, super::READER_SUBJECT)
        .subject(reader.id, reader.activation_number.as_deref().unwrap_or(&reader.reader_serial))
        .transition(ReaderStatus::Active.as_str(), ReaderStatus::Revoked.as_str())
        .note(reason.chars().take(500).collect::<String>())
        .record(&txn, &Actor::user(user, ip))
        .await?;
    super::mails::revoked(&txn, reader.id).await?;
    txn.commit().await?;
    Ok(())
}

/// The signed manifest of an active or revoked reader.
///
/// # Errors
/// `NotFound` when the reader was never activated.
pub async fn manifest<C: ConnectionTrait>(db: &C, reader_id: i32, key: &ActivationKey) -> AppResult<(String, String)> {
    let reader = readers::Entity::find_by_id(reader_id).one(db).await?.ok_or(AppError::NotFound)?;
    let (Some(number), Some(from), Some(until), Some(issued)) = (reader.activation_number.clone(), reader.valid_from, reader.valid_until, reader.issued_at)
    else {
        return Err(AppError::NotFound);
    };
    let r = request_for(db, reader.request_id).await?;
    let institution = organisations::Entity::find_by_id(r.institution_id).one(db).await?.map(|o| o.name).unwrap_or_default();
    let reader_type = machine_types::Entity::find_by_id(reader.machine_type_id).one(db).await?.map(|m| m.name).unwrap_or_default();
    let pcid = crate::models::_entities::cards::Entity::find_by_id(reader.card_id).one(db).await?.and_then(|c| c.pcid).unwrap_or_default();
    let m = Manifest {
        format: Manifest::FORMAT.into(),
        activation_number: number.clone(),
        institution,
        reader_type,
        reader_serial: reader.reader_serial,
        sam_serial: reader.sam_serial,
        perso_number: reader.perso_number,
        pcid,
        region: format!("{} / {}", reader.province, reader.city),
        valid_from: from.to_string(),
        valid_until: until.to_string(),
        issued_at: issued.with_timezone(&crate::locale::wib()).to_rfc3339(),
        key_id: key.key_id(),
    };
    Ok((format!("{number}.manifest"), m.signed(key)))
}

/// The signed list of every revoked reader, numbered by how many there are.
///
/// # Errors
/// On database failure.
pub async fn revocation_list<C: ConnectionTrait>(db: &C, key: &ActivationKey) -> AppResult<String> {
    let revoked = readers::Entity::find()
        .filter(readers::Column::Status.eq(ReaderStatus::Revoked.as_str()))
        .order_by_asc(readers::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Revoked {
            activation_number: r.activation_number.unwrap_or_default(),
            reader_serial: r.reader_serial,
            sam_serial: r.sam_serial,
            revoked_on: r.revoked_on.map(|d| d.to_string()).unwrap_or_default(),
            reason: r.revoke_reason.unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let list = RevocationList {
        format: RevocationList::FORMAT.into(),
        sequence: revoked.len() as u64,
        issued_at: Utc::now().with_timezone(&crate::locale::wib()).to_rfc3339(),
        key_id: key.key_id(),
        revoked,
    };
    // Serialising and signing a list of 100,000 readers takes ~0.1 s: off
    // the async threads.
    let key = key.clone();
    crate::models::heavy::run(move || list.signed(&key)).await.map_err(|e| AppError::Internal(format!("revocation list: {e}")))
}
