mod demo;
mod documents;
mod mail_outbox;
mod schedule;
mod sessions;
mod settings;
mod status_machines;
mod users;
