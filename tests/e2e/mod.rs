#[allow(dead_code)]
mod webdriver;
mod portal;
