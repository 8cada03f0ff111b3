pub mod mail_delivery;
