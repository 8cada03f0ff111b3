mod sessions;
mod settings;
mod users;
