//! Mails about Pengajuan SAM Rekam Cetak.
use serde::Serialize;

use super::{render, MailError, Message};

/// To the producer: the admin accepted (Kode Tiket, estimated dates) or
/// rejected (reason) its submission.
#[derive(Debug, Serialize)]
pub struct Decided<'a> {
    #[serde(skip)]
    pub accepted: bool,
    pub producer: &'a str,
    pub number: &'a str,
    pub title: &'a str,
    pub ticket: &'a str,
    pub cards: String,
    pub start: String,
    pub finish: String,
    pub reason: &'a str,
    pub url: String,
}

impl Decided<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render(if self.accepted { "submission_accepted" } else { "submission_rejected" }, self)
    }
}

/// To an institution: a submission carrying its requests was accepted.
#[derive(Debug, Serialize)]
pub struct AcceptedForInstitution<'a> {
    pub institution: &'a str,
    pub producer: &'a str,
    pub ticket: &'a str,
    /// The institution's own request numbers, comma-separated.
    pub requests: String,
    pub start: String,
    pub finish: String,
    pub url: String,
}

impl AcceptedForInstitution<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("submission_accepted_institution", self)
    }
}

/// To an institution: its cards are personalized (Status Done).
#[derive(Debug, Serialize)]
pub struct DoneForInstitution<'a> {
    pub institution: &'a str,
    pub producer: &'a str,
    pub ticket: &'a str,
    pub requests: String,
    pub clear: String,
    pub total: String,
    pub handover: String,
    pub url: String,
}

impl DoneForInstitution<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("submission_done_institution", self)
    }
}
