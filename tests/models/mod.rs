mod demo;
mod documents;
mod mail_outbox;
mod schedule;
mod sessions;
mod status_machines;
mod settings;
mod users;
