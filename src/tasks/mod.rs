//! `cargo loco task` tasks for the registry's IT team (listed by
//! `cargo loco task`): accounts from the console, backup and restore,
//! housekeeping. A task prints what it did, in Indonesian, and fails with a
//! message that says what to fix; nothing is left half-done.
pub mod accounts;
pub mod activation;
pub mod backup;
pub mod housekeeping;

use loco_rs::task::{Tasks, Vars};

pub fn register(tasks: &mut Tasks) {
    tasks.register(accounts::CreateAdmin);
    tasks.register(accounts::ResetPassword);
    tasks.register(accounts::DeactivateUser);
    tasks.register(housekeeping::Housekeeping);
    tasks.register(backup::Backup);
    tasks.register(backup::Restore);
    tasks.register(activation::CreateKey);
    tasks.register(activation::VerifyManifest);
}

/// A required `key:value` argument.
///
/// # Errors
/// A message naming the argument and the task's usage.
pub fn arg<'a>(vars: &'a Vars, key: &str, usage: &str) -> loco_rs::Result<&'a str> {
    vars.cli.get(key).map(String::as_str).filter(|v| !v.trim().is_empty()).ok_or_else(|| failed(format!("argumen {key}:… wajib diisi. Pemakaian: {usage}")))
}

/// A task's refusal, printed as the command's error.
#[must_use]
pub fn failed(message: impl Into<String>) -> loco_rs::Error {
    loco_rs::Error::Message(message.into())
}

/// An `AppError` as a console message: the form's field messages, one per
/// line, instead of the page's wording.
#[must_use]
pub fn refused(err: crate::models::AppError) -> loco_rs::Error {
    match err {
        crate::models::AppError::Invalid(errors) => failed(errors.messages().join("\n")),
        other => failed(other.to_string()),
    }
}
