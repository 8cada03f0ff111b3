//! Mails about the documents of Sistem Aktivasi.
use serde::Serialize;

use super::{render, MailError, Message};

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
