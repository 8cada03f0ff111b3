mod demo;
mod mail_outbox;
mod sessions;
mod settings;
mod users;
