use loco_rs::cli;
use migration::Migrator;
use sifilma::app::App;

/// glibc's allocator showed up as ~20 % of a page view under load;
/// mimalloc handles the many small short-lived allocations better.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> loco_rs::Result<()> {
    cli::main::<App, Migrator>().await
}
