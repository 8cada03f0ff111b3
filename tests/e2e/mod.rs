#[allow(dead_code)]
mod webdriver;
mod permintaan;
mod portal;
