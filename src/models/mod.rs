pub mod _entities;
pub mod audit_events;
pub mod demo;
pub mod errors;
pub mod holidays;
pub mod login_failures;
pub mod machine_types;
pub mod mail_outbox;
pub mod master_data;
pub mod officials;
pub mod organisations;
pub mod personalization_requests;
pub mod roles;
pub mod sessions;
pub mod stations;
pub mod uploads;
pub mod users;

pub use errors::{AppError, AppResult, FieldErrors};
