//! Mails about Permintaan Personalisasi.
use serde::Serialize;

use super::{render, MailError, Message};

/// To the producer: a request was addressed to it.
#[derive(Debug, Serialize)]
pub struct Created<'a> {
    pub producer: &'a str,
    pub institution: &'a str,
    pub number: &'a str,
    pub title: &'a str,
    /// Already spelled for people (`locale::date`).
    pub date: String,
    pub quantity: String,
    pub machine_type: &'a str,
    pub url: String,
}

impl Created<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("request_created", self)
    }
}

/// To the institution: the producer approved (no reason) or rejected its request.
#[derive(Debug, Serialize)]
pub struct Decided<'a> {
    #[serde(skip)]
    pub approved: bool,
    pub producer: &'a str,
    pub institution: &'a str,
    pub number: &'a str,
    pub title: &'a str,
    pub quantity: String,
    pub reason: &'a str,
    pub url: String,
}

impl Decided<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render(if self.approved { "request_approved" } else { "request_rejected" }, self)
    }
}
