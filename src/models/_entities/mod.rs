//! Entities mirror the schema in `migration/`; behaviour lives beside them in
//! `src/models/<name>.rs`.
pub mod prelude;
pub mod sea_orm_active_enums;

pub mod activation_readers;
pub mod activation_requests;
pub mod audit_events;
pub mod cards;
pub mod documents;
pub mod faq_entries;
pub mod holidays;
pub mod login_failures;
pub mod machine_types;
pub mod mail_outbox;
pub mod officials;
pub mod organisations;
pub mod password_setups;
pub mod perso_run_events;
pub mod perso_runs;
pub mod personalization_requests;
pub mod portal_settings;
pub mod sessions;
pub mod station_operators;
pub mod stations;
pub mod submissions;
pub mod throttle_hits;
pub mod users;
