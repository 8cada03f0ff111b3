pub mod _entities;
pub mod activations;
pub mod audit_events;
pub mod backup;
pub mod cards;
pub mod dashboard;
pub mod demo;
pub mod documents;
pub mod errors;
pub mod faq;
pub mod health;
pub mod heavy;
pub mod holidays;
pub mod housekeeping;
pub mod imports;
pub mod job_queue;
pub mod login_failures;
pub mod machine_types;
pub mod mail_outbox;
pub mod master_data;
pub mod officials;
pub mod organisations;
pub mod paging;
pub mod pool;
pub mod portal_settings;
pub mod reports;
pub mod requests;
pub mod roles;
pub mod runs;
pub mod schema;
pub mod sessions;
pub mod stations;
pub mod submissions;
pub mod throttle;
pub mod uploads;
pub mod users;
pub mod writes;

pub use errors::{AppError, AppResult, FieldErrors};

/// What a state change needs from the outside: where mail links point,
/// where uploads live, who acts from where, and the schedule setting.
pub struct Env<'a> {
    pub base_url: &'a str,
    pub upload_dir: &'a str,
    pub ip: &'a str,
    /// Working days of the leadership disposition after acceptance (FAQ: 2–3).
    pub disposition_days: u32,
}

pub use writes::{begin_write, writes, WriteTxn};

/// A status as a page shows it: the stored code (CSS class of the badge)
/// and the Indonesian label.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Badge {
    pub code: &'static str,
    pub label: &'static str,
}

/// Who looks at a subject's rows, decided once from the signed-in user;
/// every finder of the subject filters by it in the query.
pub trait Scope: Copy {
    fn of(user: &_entities::users::Model) -> Self;
    /// The role sees none of the subject (a 403, not a 404).
    fn sees_nothing(self) -> bool;
}
