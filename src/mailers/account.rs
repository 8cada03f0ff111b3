//! Mails about accounts.
use serde::Serialize;

use super::{render, MailError, Message};

/// To an applicant whose account the admin activated.
#[derive(Debug, Serialize)]
pub struct Activated<'a> {
    pub name: &'a str,
    pub username: &'a str,
    pub login_url: String,
}

impl Activated<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("account_activated", self)
    }
}
