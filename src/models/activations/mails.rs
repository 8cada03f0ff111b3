//! The mails of a Permohonan Aktivasi, each queued in the outbox on the
//! write transaction of the change it announces (a change rolled back
//! sends nothing; a committed one is never without its mail). The outbox
//! sweeper delivers them (`workers::mail_delivery`).
//!
//! Who is told:
//! - filed: the applicant (and the institution, when a producer filed for
//!   it) gets the receipt with the request page's estimate; every active
//!   admin gets the news that a request waits for disposition;
//! - approved, rejected (with the reason), a reader revoked: the applicant
//!   and the institution;
//! - withdrawn: only when a producer withdrew what it filed, the
//!   institution (its readers were in it); an institution withdrawing its
//!   own request has nobody to tell.
//!
//! Links point at [`crate::mailers::base_url`].
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::{ReaderStatus, RequestStatus, ESTIMATE_DAYS};
use crate::{
    locale,
    mailers::{self, activations as mail},
    models::{
        _entities::{activation_readers as readers, activation_requests as requests, organisations, users},
        errors::{AppError, AppResult},
        mail_outbox::enqueue,
        requests::recipients,
        roles::Role,
    },
};

/// The applicant and the institution of a request (one organisation when
/// the institution filed itself).
struct Parties {
    applicant: organisations::Model,
    institution: organisations::Model,
}

impl Parties {
    async fn of<C: ConnectionTrait>(db: &C, r: &requests::Model) -> AppResult<Self> {
        let org = |id: i32| async move { organisations::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound) };
        Ok(Self { applicant: org(r.applicant_id).await?, institution: org(r.institution_id).await? })
    }

    fn same(&self) -> bool {
        self.applicant.id == self.institution.id
    }

    /// The salutation: "Bank ABC", or "PT Nyra dan Bank ABC".
    fn addressees(&self) -> String {
        if self.same() {
            self.institution.name.clone()
        } else {
            format!("{} dan {}", self.applicant.name, self.institution.name)
        }
    }

    /// Active accounts and contact addresses of both.
    async fn recipients<C: ConnectionTrait>(&self, db: &C) -> AppResult<Vec<String>> {
        let mut to = recipients(db, &self.applicant).await?;
        if !self.same() {
            to.extend(recipients(db, &self.institution).await?);
        }
        Ok(to)
    }
}

/// Every active admin: who disposes of a request.
async fn admins<C: ConnectionTrait>(db: &C) -> AppResult<Vec<String>> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::Admin.as_str()))
        .filter(users::Column::Status.eq(crate::models::users::Status::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect())
}

fn page(id: i32) -> String {
    mailers::link(&mailers::base_url(), &format!("/aktivasi/{id}"))
}

async fn request<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<requests::Model> {
    requests::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

/// Readers of request `id` (in `status`, or all).
async fn reader_count<C: ConnectionTrait>(db: &C, id: i32, status: Option<ReaderStatus>) -> AppResult<String> {
    let mut q = readers::Entity::find().filter(readers::Column::RequestId.eq(id));
    if let Some(s) = status {
        q = q.filter(readers::Column::Status.eq(s.as_str()));
    }
    Ok(locale::group_thousands(q.count(db).await?))
}

/// The receipt and the admins' news of request `r`, just filed.
///
/// # Errors
/// On database failure (the filing then rolls back).
pub async fn filed<C: ConnectionTrait>(txn: &C, r: &requests::Model) -> AppResult<Vec<i32>> {
    let p = Parties::of(txn, r).await?;
    let addressees = p.addressees();
    let m = mail::Filed {
        addressees: &addressees,
        applicant: &p.applicant.name,
        institution: &p.institution.name,
        letter_number: &r.letter_number,
        letter_date: locale::date(r.letter_date),
        readers: reader_count(txn, r.id, None).await?,
        estimate: locale::date(super::estimate(txn, r.created_at).await?),
        estimate_days: ESTIMATE_DAYS,
        url: page(r.id),
    };
    let mut ids = enqueue(txn, &p.recipients(txn).await?, &m.message()?).await?;
    ids.extend(enqueue(txn, &admins(txn).await?, &m.for_admins()?).await?);
    Ok(ids)
}

/// The approval of request `id`: reply number, readers activated, validity.
///
/// # Errors
/// On database failure (the approval then rolls back).
pub async fn approved<C: ConnectionTrait>(txn: &C, id: i32) -> AppResult<Vec<i32>> {
    let r = request(txn, id).await?;
    let p = Parties::of(txn, &r).await?;
    let first = readers::Entity::find()
        .filter(readers::Column::RequestId.eq(id))
        .filter(readers::Column::Status.eq(ReaderStatus::Active.as_str()))
        .order_by_asc(readers::Column::Id)
        .one(txn)
        .await?;
    let day = |d: Option<chrono::NaiveDate>| d.map(locale::date).unwrap_or_default();
    let addressees = p.addressees();
    let m = mail::Approved {
        addressees: &addressees,
        institution: &p.institution.name,
        letter_number: &r.letter_number,
        reply_number: r.reply_number.as_deref().unwrap_or_default(),
        readers: reader_count(txn, id, Some(ReaderStatus::Active)).await?,
        valid_from: day(first.as_ref().and_then(|x| x.valid_from)),
        valid_until: day(first.as_ref().and_then(|x| x.valid_until)),
        url: page(id),
    }
    .message()?;
    enqueue(txn, &p.recipients(txn).await?, &m).await
}

/// The end of request `id`: rejected (applicant and institution, with the
/// reason) or withdrawn (the institution, when a producer withdrew).
///
/// # Errors
/// On database failure (the change then rolls back).
pub async fn ended<C: ConnectionTrait>(txn: &C, id: i32) -> AppResult<Vec<i32>> {
    let r = request(txn, id).await?;
    let p = Parties::of(txn, &r).await?;
    let rejected = match RequestStatus::parse(&r.status) {
        Some(RequestStatus::Rejected) => true,
        Some(RequestStatus::Withdrawn) if !p.same() => false,
        _ => return Ok(Vec::new()),
    };
    let (addressees, to) =
        if rejected { (p.addressees(), p.recipients(txn).await?) } else { (p.institution.name.clone(), recipients(txn, &p.institution).await?) };
    let m = mail::Ended {
        rejected,
        addressees: &addressees,
        applicant: &p.applicant.name,
        institution: &p.institution.name,
        letter_number: &r.letter_number,
        readers: reader_count(txn, id, None).await?,
        reason: r.decision_note.as_deref().unwrap_or_default(),
        url: page(id),
    }
    .message()?;
    enqueue(txn, &to, &m).await
}

/// The revocation of reader `reader_id`: its S/N, activation number,
/// reason and date, to the institution and the applicant.
///
/// # Errors
/// On database failure (the revocation then rolls back).
pub async fn revoked<C: ConnectionTrait>(txn: &C, reader_id: i32) -> AppResult<Vec<i32>> {
    let x = readers::Entity::find_by_id(reader_id).one(txn).await?.ok_or(AppError::NotFound)?;
    let r = request(txn, x.request_id).await?;
    let p = Parties::of(txn, &r).await?;
    let addressees = p.addressees();
    let m = mail::Revoked {
        addressees: &addressees,
        institution: &p.institution.name,
        letter_number: &r.letter_number,
        reader_serial: &x.reader_serial,
        sam_serial: &x.sam_serial,
        activation_number: x.activation_number.as_deref().unwrap_or_default(),
        reason: x.revoke_reason.as_deref().unwrap_or_default(),
        revoked_on: x.revoked_on.map(locale::date).unwrap_or_default(),
        url: page(r.id),
        revocations_url: mailers::link(&mailers::base_url(), "/aktivasi/pencabutan"),
    }
    .message()?;
    enqueue(txn, &p.recipients(txn).await?, &m).await
}
