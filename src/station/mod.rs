//! Reader stations: everything a station does without a database.
//!
//! The portal and a station speak only through Redis in the Sidekiq job
//! format: the portal pushes a [`protocol::Batch`] to `station:<code>`, the
//! reader agent personalizes the cards it finds in its readers and pushes one
//! [`protocol::Report`] per event to `portal`. The in-process simulated
//! station runs the same [`agent`] over [`sim`] readers and hands the same
//! reports to the same result path.
//!
//! - [`protocol`]: the job payloads (the only contract between both sides).
//! - [`profile`]: the APDU script a station runs on each card.
//! - [`vsam`]: the virtual SAM card and the feeder slot holding it, with
//!   fault injection; used by the simulated station and the PC/SC test rig.
//! - [`agent`]: runs a batch on every reader in parallel, with a watchdog.
//! - [`sim`]: in-memory readers over [`vsam`] slots.
//! - `vpcd`: the virtual card over the vpcd TCP protocol (test rig).
//! - `pcsc_reader` (feature `pcsc`): real readers through pcscd.
pub mod agent;
pub mod link;
#[cfg(feature = "pcsc")]
pub mod pcsc_reader;
pub mod profile;
pub mod protocol;
pub mod sim;
pub mod vpcd;
pub mod vsam;

use std::time::Duration;

/// Why a reader call failed. The agent maps these to card failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderError {
    /// No card in the reader.
    NoCard,
    /// The card left the reader (or died) during the exchange, including an
    /// answer shorter than the two status-word bytes.
    Removed,
    /// The reader did not answer in time (set by the watchdog).
    Timeout,
    /// Anything else the reader stack reported (no pcscd, unknown reader, ...).
    Other(String),
}

/// One card slot of a station. Every call may block; the agent calls each
/// reader from its own thread.
///
/// Card changes follow a feeder machine: after the profile's eject command the
/// finished card leaves the slot and [`Reader::next_card`] power-cycles the
/// slot so the next card from the hopper answers.
pub trait Reader: Send {
    /// The reader's name as the station reports it (e.g. `VPCD-A 00 00`).
    fn name(&self) -> &str;
    /// Waits up to `timeout` for a card and connects to it. `Ok(false)` when
    /// no card came.
    ///
    /// # Errors
    /// When the reader itself fails.
    fn connect(&mut self, timeout: Duration) -> Result<bool, ReaderError>;
    /// Sends one command APDU and returns the response, data + SW1 SW2
    /// (at least two bytes).
    ///
    /// # Errors
    /// `Removed` for a vanished card or an answer under two bytes.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError>;
    /// Power-cycles the slot after an eject: `Ok(true)` when a next card is
    /// there and connected, `Ok(false)` when the slot is empty.
    ///
    /// # Errors
    /// When the reader itself fails.
    fn next_card(&mut self) -> Result<bool, ReaderError>;
    /// Lets go of the card (no power-off, no eject).
    fn disconnect(&mut self);
}
