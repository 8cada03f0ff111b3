pub mod account;
mod admin_users;
mod audit;
mod auth;
mod csrf;
mod master;
mod pages;
pub mod permintaan;
mod registration;
