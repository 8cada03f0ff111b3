//! Mails of Sistem Aktivasi Kartu SAM. One message goes to the applicant
//! and, when a producer filed for it, the institution as well: both are
//! named in the salutation (`addressees`).
use serde::Serialize;

use super::{render, MailError, Message};

/// To the applicant (and the institution): the request was received and
/// waits for the disposition, with the estimate the request page shows.
#[derive(Debug, Serialize)]
pub struct Filed<'a> {
    pub addressees: &'a str,
    pub applicant: &'a str,
    pub institution: &'a str,
    pub letter_number: &'a str,
    /// Already spelled for people (`locale::date`), as `estimate`.
    pub letter_date: String,
    pub readers: String,
    pub estimate: String,
    pub estimate_days: u32,
    pub url: String,
}

impl Filed<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("activation_filed", self)
    }

    /// The same request as news for the admins: it waits for their disposition.
    ///
    /// # Errors
    /// When the template fails to render.
    pub fn for_admins(&self) -> Result<Message, MailError> {
        render("activation_waiting", self)
    }
}

/// To the applicant and the institution: approved, the readers activated.
#[derive(Debug, Serialize)]
pub struct Approved<'a> {
    pub addressees: &'a str,
    pub institution: &'a str,
    pub letter_number: &'a str,
    pub reply_number: &'a str,
    pub readers: String,
    pub valid_from: String,
    pub valid_until: String,
    pub url: String,
}

impl Approved<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("activation_approved", self)
    }
}

/// To the applicant and the institution: rejected (with the reason), or —
/// to the institution — withdrawn by the producer that filed it.
#[derive(Debug, Serialize)]
pub struct Ended<'a> {
    #[serde(skip)]
    pub rejected: bool,
    pub addressees: &'a str,
    pub applicant: &'a str,
    pub institution: &'a str,
    pub letter_number: &'a str,
    pub readers: String,
    pub reason: &'a str,
    pub url: String,
}

impl Ended<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render(if self.rejected { "activation_rejected" } else { "activation_withdrawn" }, self)
    }
}

/// To the institution and the applicant: one reader's activation revoked.
#[derive(Debug, Serialize)]
pub struct Revoked<'a> {
    pub addressees: &'a str,
    pub institution: &'a str,
    pub letter_number: &'a str,
    pub reader_serial: &'a str,
    pub sam_serial: &'a str,
    pub activation_number: &'a str,
    pub reason: &'a str,
    pub revoked_on: String,
    pub url: String,
    pub revocations_url: String,
}

impl Revoked<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("activation_revoked", self)
    }
}

/// To the applicant and the institution: the request's Surat Balasan
/// Aktivasi is ready and the readers' manifests can be downloaded. It
/// carries a link to the request page and the verification link, never the
/// files themselves.
#[derive(Debug, Serialize)]
pub struct ActivationReady<'a> {
    pub applicant: &'a str,
    pub institution: &'a str,
    /// The applicant's Surat Permohonan Aktivasi.
    pub letter: &'a str,
    /// The reply number.
    pub number: &'a str,
    /// Activated readers.
    pub readers: u64,
    pub url: String,
    pub verify: String,
}

impl ActivationReady<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("activation_ready", self)
    }
}
