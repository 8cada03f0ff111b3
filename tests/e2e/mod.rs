#[allow(dead_code)]
mod webdriver;
mod pengajuan;
mod permintaan;
mod portal;
