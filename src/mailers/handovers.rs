//! Mails about Cetak Dokumen BAST.
use serde::Serialize;

use super::{render, MailError, Message};

/// To the institution and the producer: a BAST is ready. It carries a link
/// to the hand-over page and the verification link, never the file itself.
#[derive(Debug, Serialize)]
pub struct BastReady<'a> {
    pub institution: &'a str,
    pub producer: &'a str,
    pub ticket: &'a str,
    pub request: &'a str,
    pub number: &'a str,
    pub url: String,
    pub verify: String,
}

impl BastReady<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("bast_ready", self)
    }
}
