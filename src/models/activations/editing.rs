//! A Permohonan Aktivasi changed by its applicant while it waits for the
//! disposition: the letter's number and date, the letter file, the list of
//! readers.
//!
//! Rules:
//! - Only the user who filed it (as for withdrawing) sees the change at
//!   all (others: not found), and only while it is new (then: conflict,
//!   nothing changed).
//! - Every line is checked again as for a filing; what the request's own
//!   lines bind is free for it.
//! - One short write transaction, guarded by `status = 'new'`, updates the
//!   letter fields, replaces the pending lines and writes the audit row. A
//!   decision or withdrawal that came first leaves the guard nothing to
//!   update: conflict, nothing changed. The status is never written here.
//! - A replacement letter is stored only once the lines passed, removed
//!   again when the change is refused, and the replaced one is removed
//!   after the change is committed.
use chrono::{NaiveDate, Utc};
use sea_orm::{prelude::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{
    readers::{self, ReaderInput},
    ReaderStatus, RequestStatus,
};
use crate::models::{
    _entities::{activation_readers, activation_requests as requests, machine_types, users},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
    imports::workbook::RowError,
    uploads,
};

/// A replacement letter, already checked (`requests::filing::Letter::check`).
#[derive(Debug, Clone)]
pub struct NewLetter {
    pub bytes: Vec<u8>,
    /// Its kind's extension (`pdf`, `jpg`, `png`).
    pub kind: String,
    pub file_name: String,
}

/// What the applicant sends.
#[derive(Debug, Clone)]
pub struct Changes {
    pub letter_number: String,
    pub letter_date: NaiveDate,
    /// `None` keeps the letter file.
    pub letter: Option<NewLetter>,
    /// Empty keeps the current lines (checked again all the same).
    pub lines: Vec<ReaderInput>,
}

/// Where the letters are stored (`uploads::store`).
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub dir: &'a str,
    pub area: &'a str,
}

/// Request `id` if `user` may change it now, with its lines as they were
/// typed or imported.
///
/// # Errors
/// `NotFound` unless `user` filed it; `Conflict` unless it is new.
pub async fn editable<C: ConnectionTrait>(db: &C, user: &users::Model, id: i32) -> AppResult<(requests::Model, Vec<ReaderInput>)> {
    let r = requests::Entity::find_by_id(id).filter(requests::Column::CreatedBy.eq(user.id)).one(db).await?.ok_or(AppError::NotFound)?;
    if r.status != RequestStatus::New.as_str() {
        return Err(decided(&r));
    }
    let lines = current_lines(db, id).await?;
    Ok((r, lines))
}

/// The request is no longer new.
fn decided(r: &requests::Model) -> AppError {
    let how = match RequestStatus::parse(&r.status) {
        Some(RequestStatus::Approved) => "disetujui",
        Some(RequestStatus::Rejected) => "ditolak",
        Some(RequestStatus::Withdrawn) => "ditarik",
        _ => "diputuskan",
    };
    AppError::Conflict(format!("Permohonan {} sudah {how}; tidak dapat diubah.", r.letter_number))
}

/// The pending lines of request `id` as [`ReaderInput`]s, in row order.
async fn current_lines<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Vec<ReaderInput>> {
    let rows = activation_readers::Entity::find()
        .filter(activation_readers::Column::RequestId.eq(id))
        .filter(activation_readers::Column::Status.eq(ReaderStatus::Pending.as_str()))
        .order_by_asc(activation_readers::Column::RowNo)
        .all(db)
        .await?;
    let mut type_ids: Vec<i32> = rows.iter().map(|r| r.machine_type_id).collect();
    type_ids.sort_unstable();
    type_ids.dedup();
    let types: std::collections::HashMap<i32, String> =
        machine_types::Entity::find().filter(machine_types::Column::Id.is_in(type_ids)).all(db).await?.into_iter().map(|m| (m.id, m.name)).collect();
    Ok(rows
        .into_iter()
        .map(|r| ReaderInput {
            row: usize::try_from(r.row_no).unwrap_or(0),
            reader_type: types.get(&r.machine_type_id).cloned().unwrap_or_default(),
            reader_serial: r.reader_serial,
            sam_serial: r.sam_serial,
            perso_number: r.perso_number,
            province: r.province,
            city: r.city,
            note: r.note.unwrap_or_default(),
        })
        .collect())
}

/// Applies `changes` to request `id` for its applicant `user`; the lines'
/// problems when any line fails (nothing changed, nothing stored then).
///
/// # Errors
/// `NotFound` unless `user` filed it; `Conflict` unless it is still new
/// when the change is written, or when a concurrent filing took one of the
/// SAMs or readers; `Invalid` for a letter number or date out of bounds.
pub async fn edit(db: &DatabaseConnection, files: Files<'_>, user: &users::Model, id: i32, changes: Changes, ip: &str) -> AppResult<Result<(), Vec<RowError>>> {
    let number = changes.letter_number.trim().to_string();
    if number.is_empty() || number.chars().count() > 100 {
        return Err(AppError::field("letter_number", "Nomor surat wajib diisi (maksimal 100 karakter)."));
    }
    let (r, current) = editable(db, user, id).await?;
    let lines = if changes.lines.is_empty() { current } else { changes.lines };
    let checked = match readers::check_except(db, r.institution_id, &lines, Some(id)).await? {
        Ok(checked) => checked,
        Err(rows) => return Ok(Err(rows)),
    };
    let stored = match &changes.letter {
        Some(letter) => Some((uploads::store(files.dir, files.area, &letter.bytes).await?, letter)),
        None => None,
    };
    match write(db, user, &r, &number, changes.letter_date, stored.as_ref().map(|(key, l)| (key.as_str(), *l)), &checked, ip).await {
        Ok(()) => {
            if stored.is_some() {
                uploads::discard(files.dir, files.area, &r.file_key).await;
            }
            Ok(Ok(()))
        }
        Err(e) => {
            if let Some((key, _)) = &stored {
                uploads::discard(files.dir, files.area, key).await;
            }
            Err(e)
        }
    }
}

/// The one write transaction of a change.
#[allow(clippy::too_many_arguments)]
async fn write(
    db: &DatabaseConnection,
    user: &users::Model,
    r: &requests::Model,
    number: &str,
    date: NaiveDate,
    letter: Option<(&str, &NewLetter)>,
    checked: &[readers::CheckedReader],
    ip: &str,
) -> AppResult<()> {
    let now = Utc::now();
    let txn = crate::models::begin_write(db).await?;
    let mut update = requests::Entity::update_many()
        .col_expr(requests::Column::LetterNumber, Expr::value(number))
        .col_expr(requests::Column::LetterDate, Expr::value(date))
        .col_expr(requests::Column::UpdatedAt, Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)));
    if let Some((key, l)) = letter {
        update = update
            .col_expr(requests::Column::FileKey, Expr::value(key))
            .col_expr(requests::Column::FileKind, Expr::value(l.kind.clone()))
            .col_expr(requests::Column::FileName, Expr::value(l.file_name.chars().take(200).collect::<String>()))
            .col_expr(requests::Column::FileSize, Expr::value(i32::try_from(l.bytes.len()).unwrap_or(i32::MAX)));
    }
    let updated = update.filter(requests::Column::Id.eq(r.id)).filter(requests::Column::Status.eq(RequestStatus::New.as_str())).exec(&txn).await?;
    if updated.rows_affected != 1 {
        let now = requests::Entity::find_by_id(r.id).one(&txn).await?.ok_or(AppError::NotFound)?;
        return Err(decided(&now));
    }
    let removed = activation_readers::Entity::delete_many()
        .filter(activation_readers::Column::RequestId.eq(r.id))
        .filter(activation_readers::Column::Status.eq(ReaderStatus::Pending.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    readers::insert(&txn, r.id, checked, now).await?;
    let mut note = format!("{removed} → {} card reader", checked.len());
    if number != r.letter_number {
        note.push_str(&format!("; nomor surat semula {}", r.letter_number));
    }
    if letter.is_some() {
        note.push_str("; surat permohonan diganti");
    }
    Event::new(Action::ActivationEdited, super::SUBJECT).subject(r.id, number).note(note).record(&txn, &Actor::user(user, ip)).await?;
    txn.commit().await?;
    Ok(())
}
