use loco_rs::cli;
use migration::Migrator;
use sifilma::app::App;

/// glibc's allocator showed up as ~20 % of a page view under load;
/// mimalloc handles the many small short-lived allocations better. With its
/// `override` feature it also serves `malloc` itself, so SQLite (C) uses it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> loco_rs::Result<()> {
    cli::main::<App, Migrator>().await
}
