//! `sifilma-agent`: the reader agent of one station host.
//!
//! It holds no database credentials: it knows the stations' Redis, its
//! namespace and the station code, takes batches off `station:<code>`, drives
//! every PC/SC reader of the host in parallel and pushes one report per card
//! to `portal`.
//!
//! Environment:
//! - `STATION_REDIS_URL` (required), e.g. `redis://10.0.0.5:6379/2`
//! - `STATION_CODE` (required), the station's code in master data
//! - `STATION_NAMESPACE` (default `sifilma`), same as the portal's
//! - `STATION_READERS`: comma-separated reader-name prefixes to use (default:
//!   every reader pcscd lists)
use std::{process::ExitCode, sync::Arc};

use sifilma::station::{link, pcsc_reader::PcscReader, protocol::Batch, Reader};

fn required(name: &str) -> Result<String, String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{name} is required"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())).init();
    let config = (|| -> Result<_, String> {
        let url = required("STATION_REDIS_URL")?;
        let code = required("STATION_CODE")?;
        let namespace = std::env::var("STATION_NAMESPACE").unwrap_or_else(|_| "sifilma".into());
        let prefixes: Vec<String> =
            std::env::var("STATION_READERS").unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect();
        Ok((link::pool(&url, &namespace)?, code, prefixes))
    })();
    let (pool, code, prefixes) = match config {
        Ok(c) => c,
        Err(err) => {
            eprintln!("sifilma-agent: {err}");
            return ExitCode::from(2);
        }
    };
    // Readers are listed afresh for every batch: a reader plugged in between
    // batches is used, a vanished one is not.
    let readers = Arc::new(move |batch: &Batch| -> Vec<Box<dyn Reader>> {
        match PcscReader::open_all(&prefixes) {
            Ok(list) => {
                tracing::info!(run = batch.run, readers = list.len(), "readers for the batch");
                list
            }
            Err(err) => {
                tracing::error!(?err, "no PC/SC readers");
                Vec::new()
            }
        }
    });
    let processor = link::BatchWorker::new(pool.clone(), readers).processor(&code);
    tracing::info!(station = code, "agent waiting for batches");
    // On SIGTERM or Ctrl-C a batch in hand is abandoned: the portal
    // reclaims it after its lease and sends the pending cards again (a card
    // already locked with its data is read back, never written twice).
    tokio::select! {
        () = link::consume(processor, pool, tokio_util::sync::CancellationToken::new()) => {}
        () = stop_signal() => tracing::info!("agent stopping"),
    }
    ExitCode::SUCCESS
}

/// SIGTERM (systemd's stop) or SIGINT (Ctrl-C).
async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
