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

/// To an applicant whose registration was received (waits for the admin).
#[derive(Debug, Serialize)]
pub struct RegistrationReceived<'a> {
    pub name: &'a str,
    pub username: &'a str,
}

impl RegistrationReceived<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("registration_received", self)
    }
}

/// To the owner of an email address someone tried to register again: the
/// form answered as usual, only the owner learns of it.
#[derive(Debug, Serialize)]
pub struct RegistrationEmailTaken<'a> {
    pub name: &'a str,
    pub username: &'a str,
    pub login_url: String,
}

impl RegistrationEmailTaken<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("registration_email_taken", self)
    }
}

/// To an applicant whose chosen username belongs to another account.
#[derive(Debug, Serialize)]
pub struct RegistrationUsernameTaken<'a> {
    pub name: &'a str,
    pub username: &'a str,
    pub register_url: String,
}

impl RegistrationUsernameTaken<'_> {
    /// # Errors
    /// When the template fails to render.
    pub fn message(&self) -> Result<Message, MailError> {
        render("registration_username_taken", self)
    }
}
