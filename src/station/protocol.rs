//! Job payloads between the portal and the stations (Sidekiq `args[0]`).
//!
//! - portal → `station:<code>`: class [`BATCH_CLASS`], a [`Batch`];
//! - station → `portal`: class [`REPORT_CLASS`], a [`Report`].
//!
//! Results are idempotent on (run, card): a station may report a card again
//! (after a crash, a replayed job, a reclaimed batch) and the portal keeps the
//! first answer. The card is the truth: a card already locked with this data
//! is reported clear without being written again.
use serde::{Deserialize, Serialize};

use super::profile::Profile;

/// Sidekiq class of a personalization batch.
pub const BATCH_CLASS: &str = "PersoBatch";
/// Sidekiq class of a station report.
pub const REPORT_CLASS: &str = "StationReport";
/// Queue the portal reads station reports from.
pub const PORTAL_QUEUE: &str = "portal";

/// Queue a station reads its batches from.
#[must_use]
pub fn station_queue(code: &str) -> String {
    format!("station:{code}")
}

/// What a station must personalize: the still-pending cards of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Run id (portal database), the key of every result.
    pub run: i64,
    /// 1 for the first dispatch, +1 each time the portal reclaims the run
    /// after its lease expired.
    pub attempt: u32,
    pub station: String,
    /// Kode Tiket of the submission, for the station's log.
    pub ticket: String,
    /// The station sends a heartbeat at least every `lease_secs / 3` seconds;
    /// after `lease_secs` without one the portal reclaims the run.
    pub lease_secs: u64,
    /// How long a reader waits for a card before giving up on the batch.
    pub card_wait_ms: u64,
    /// Watchdog per APDU: a card that does not answer in time fails with
    /// "reader timeout".
    pub apdu_timeout_ms: u64,
    pub profile: Profile,
    pub cards: Vec<BatchCard>,
}

/// One card of a batch, with the data to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCard {
    /// Card id (portal database).
    pub card: i64,
    pub serial: String,
    pub perso_number: String,
    pub pcid: String,
    pub manifest: String,
}

/// One message from a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Report {
    /// The outcome for one card of the batch.
    Card(CardResult),
    /// A card whose serial is not in the batch was found and ejected unwritten.
    Stray { run: i64, reader: String, serial: String },
    /// The station is alive and working on the run; extends its lease.
    Heartbeat { run: i64, attempt: u32, readers: Vec<ReaderActivity> },
    /// The station finished the batch; every card got a `Card` report.
    Finished { run: i64, attempt: u32 },
}

impl Report {
    #[must_use]
    pub const fn run(&self) -> i64 {
        match self {
            Self::Card(c) => c.run,
            Self::Stray { run, .. } | Self::Heartbeat { run, .. } | Self::Finished { run, .. } => *run,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardResult {
    pub run: i64,
    pub card: i64,
    pub serial: String,
    /// Reader that handled the card; empty for cards that never showed up.
    pub reader: String,
    pub outcome: Outcome,
    /// True when the card was already locked with this data and only read
    /// back (a re-check after a crash), not written.
    #[serde(default)]
    pub rechecked: bool,
    /// Time spent on the card in the reader, in milliseconds.
    #[serde(default)]
    pub millis: u64,
    /// APDUs exchanged with the card.
    #[serde(default)]
    pub apdus: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Clear,
    Failed { reason: Failure },
}

/// Reasons a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Failure {
    /// The card never came into a reader before the batch gave up.
    NoCard,
    /// The card in the reader belongs to another batch.
    WrongCard { serial: String },
    /// The card left the reader or died during an APDU.
    CardRemoved { step: String },
    /// The card refused a command with this status word (hex, e.g. `6985`).
    WriteRefused { step: String, sw: String },
    /// Read-back differs from what was written.
    VerifyMismatch { field: String },
    /// The card did not answer within the watchdog.
    ReaderTimeout { step: String },
    /// The reader stack failed.
    ReaderError { detail: String },
}

impl Failure {
    /// The reason in Bahasa Indonesia, for the card list.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::NoCard => "Kartu tidak ditemukan di reader (tidak dimasukkan sebelum batas waktu).".into(),
            Self::WrongCard { serial } => format!("Kartu salah: No. Seri {serial} tidak termasuk batch ini."),
            Self::CardRemoved { step } => format!("Kartu tercabut atau tidak menjawab saat langkah \"{step}\"."),
            Self::WriteRefused { step, sw } => format!("Kartu menolak langkah \"{step}\" (status word {sw})."),
            Self::VerifyMismatch { field } => format!("Verifikasi gagal: {field} yang dibaca kembali berbeda dengan yang ditulis."),
            Self::ReaderTimeout { step } => format!("Reader tidak menjawab (timeout) saat langkah \"{step}\"."),
            Self::ReaderError { detail } => format!("Kesalahan reader: {detail}."),
        }
    }
}

/// What one reader is doing, for the live progress page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderActivity {
    pub reader: String,
    /// `waiting`, `working`, `stuck` (watchdog fired), `done`.
    pub state: String,
    /// Serial of the card in the reader, if any.
    #[serde(default)]
    pub serial: Option<String>,
    pub cards_done: u32,
}

impl ReaderActivity {
    /// The reader's state as a page shows it (never the wire word).
    #[must_use]
    pub fn label(&self) -> &'static str {
        state_label(&self.state)
    }
}

/// The Indonesian label of a reader state word (`waiting`, `working`,
/// `stuck`, `done`); anything else is "Tidak diketahui".
#[must_use]
pub fn state_label(state: &str) -> &'static str {
    match state {
        "waiting" => "Menunggu kartu",
        "working" => "Sedang memproses",
        "stuck" => "Tidak merespons",
        "done" => "Selesai",
        _ => "Tidak diketahui",
    }
}
