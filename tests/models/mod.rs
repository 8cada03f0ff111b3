mod demo;
mod mail_outbox;
mod schedule;
mod sessions;
mod settings;
mod users;
