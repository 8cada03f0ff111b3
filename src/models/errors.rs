//! Errors typed by who reads them: field messages for the form, a sentence
//! for the page, a cause for the log.
use std::collections::BTreeMap;

use sea_orm::DbErr;

/// Indonesian messages keyed by form field name.
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the first message per field: it is the one to fix first.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// Every message, for a reader without the form (the server's console).
    #[must_use]
    pub fn messages(&self) -> Vec<&str> {
        self.0.values().map(String::as_str).collect()
    }

    /// # Errors
    /// `AppError::Invalid` when any field has a message.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The form is re-shown with these messages; nothing was saved.
    #[error("data tidak valid")]
    Invalid(FieldErrors),
    /// Missing or outside the user's scope: both answer 404.
    #[error("data tidak ditemukan")]
    NotFound,
    /// A legal request in the wrong state (409).
    #[error("{0}")]
    Conflict(String),
    /// The server is saturated (every import slot or database connection
    /// taken): answered at once with 503 and `Retry-After`, nothing saved.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Db(DbErr),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    #[must_use]
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Self::Invalid(errors)
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// What a person reads when the database is saturated.
pub const DB_BUSY: &str = "Server sedang sibuk, coba lagi sebentar. Permintaan Anda belum diproses dan tidak ada data yang disimpan.";

/// A database error, except that waiting too long for a pooled connection
/// (every one in use) or for SQLite's write lock (its busy timeout passed)
/// is [`AppError::Busy`]: the server is saturated, not broken, and the
/// person should try again in a moment rather than see a 500.
impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_busy(&e) {
            tracing::warn!(error = %e, "database saturated; answered busy");
            Self::Busy(DB_BUSY.to_string())
        } else {
            Self::Db(e)
        }
    }
}

/// A pool acquire time-out, or SQLite's `SQLITE_BUSY` ("database is
/// locked") after its busy timeout.
#[must_use]
pub fn is_busy(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) => true,
        other => {
            let s = other.to_string();
            s.contains("database is locked") || s.contains("pool timed out")
        }
    }
}

impl From<crate::mailers::MailError> for AppError {
    fn from(e: crate::mailers::MailError) -> Self {
        Self::Internal(e.to_string())
    }
}
