//! Spreadsheet imports (the producer's card list, the perso-data import,
//! the readers of a Permohonan Aktivasi) read and check a whole workbook: CPU work of up to seconds that must not
//! run on the async workers serving everyone else. Each import takes a slot
//! of [`Slots`] (at most [`Slots::DEFAULT`] at once per portal process)
//! and runs its reading on a blocking thread; when every slot stays taken
//! for [`SLOT_WAIT`] the upload is answered "sedang sibuk" (503,
//! `Retry-After`), and nothing is saved. Every import goes through the one
//! guard and sheet reader of [`workbook`].
pub mod workbook;

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::errors::{AppError, AppResult};

/// The import slots of one portal process (kept in the app's shared store).
#[derive(Clone)]
pub struct Slots(Arc<Semaphore>);

/// How long an upload waits for a slot: long enough to ride out a burst,
/// short enough that its user gets a prompt answer.
pub const SLOT_WAIT: Duration = Duration::from_secs(1);

/// A taken slot: held while the import reads its file, freed on drop.
pub struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

impl Slots {
    /// Two imports at once: on the two cores of a small server, the pages
    /// keep a core for themselves only if imports take at most that.
    pub const DEFAULT: usize = 2;

    #[must_use]
    pub fn new(n: usize) -> Self {
        Self(Arc::new(Semaphore::new(n)))
    }

    /// A free slot, waiting at most [`SLOT_WAIT`] for one.
    ///
    /// # Errors
    /// `Busy` when every slot stayed taken.
    pub async fn take(&self) -> AppResult<Slot> {
        let busy = || {
            AppError::Busy(
                "Server sedang sibuk memeriksa berkas Excel lain, coba lagi sebentar. Berkas Anda belum diproses dan tidak ada data yang disimpan.".into(),
            )
        };
        match tokio::time::timeout(SLOT_WAIT, Arc::clone(&self.0).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot(permit)),
            _ => Err(busy()),
        }
    }

    /// The slots of the running app.
    #[must_use]
    pub fn of(ctx: &loco_rs::app::AppContext) -> Self {
        ctx.shared_store.get::<Self>().unwrap_or_else(|| Self::new(Self::DEFAULT))
    }
}

/// Runs `work` (reading a workbook) on a blocking thread while `slot` is
/// held, so the async workers keep serving pages.
///
/// # Errors
/// `Internal` when the work panicked.
pub async fn run<T: Send + 'static>(slot: Slot, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    crate::models::heavy::run(move || {
        let out = work();
        drop(slot);
        out
    })
    .await
    .map_err(|e| AppError::Internal(format!("import task: {e}")))
}
