pub mod documents;
pub mod mail_delivery;
pub mod stations;
