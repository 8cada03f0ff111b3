//! Real readers through pcscd (feature `pcsc`).
//!
//! Error mapping (checked against pcsc-lite 1.9.9 and the vpcd rig):
//! - a card that left or died: `RemovedCard`, `ResetCard`, `NotTransacted`,
//!   `UnpoweredCard`, `UnresponsiveCard`, and an answer under two bytes (a
//!   card dying during an APDU can come back as `Ok` with 0 bytes) →
//!   [`ReaderError::Removed`];
//! - `NoSmartcard` → [`ReaderError::NoCard`];
//! - `Timeout` → [`ReaderError::Timeout`];
//! - anything else (`NoService`, `UnknownReader`, `SharingViolation`, ...) →
//!   [`ReaderError::Other`] with the error's name and text.
//!
//! A frozen card blocks [`Reader::transmit`] without a timeout; the agent's
//! watchdog deals with it.
use std::{
    ffi::CString,
    time::{Duration, Instant},
};

use pcsc::{Card, Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

use super::{Reader, ReaderError};

/// Longest wait of one `get_status_change` call, so a long `connect` stays
/// responsive to readers that disappear.
const STATUS_SLICE: Duration = Duration::from_secs(1);

/// One PC/SC reader, used exclusively while a card is connected.
///
/// pcscd notices a card that vanished only at its next poll of the reader
/// (every 400 ms); until then it still reports the card present and lets a
/// connect succeed. So a card lost in an exchange is remembered by the reader's
/// event counter (pcscd counts every insertion and removal), and
/// [`Reader::connect`] takes a card only once that counter has moved on.
pub struct PcscReader {
    name: String,
    cname: CString,
    ctx: Context,
    card: Option<Card>,
    /// Event counter of the reader when the current card was connected.
    connected_at: u32,
    /// Event counter under which the last card was lost.
    lost_at: Option<u32>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader").field("name", &self.name).field("connected", &self.card.is_some()).finish_non_exhaustive()
    }
}

fn other(e: pcsc::Error) -> ReaderError {
    ReaderError::Other(format!("{e:?}: {e}"))
}

/// Maps a pcsc error of an exchange with a card.
fn card_error(e: pcsc::Error) -> ReaderError {
    use pcsc::Error as E;
    match e {
        E::RemovedCard | E::ResetCard | E::NotTransacted | E::UnpoweredCard | E::UnresponsiveCard => ReaderError::Removed,
        E::NoSmartcard => ReaderError::NoCard,
        E::Timeout => ReaderError::Timeout,
        e => other(e),
    }
}

fn establish() -> Result<Context, ReaderError> {
    Context::establish(Scope::User).map_err(|e| match e {
        pcsc::Error::NoService => ReaderError::Other(format!("{e:?}: pcscd is not running")),
        e => other(e),
    })
}

/// Readers pcscd lists whose names start with one of `prefixes` (all readers
/// when `prefixes` is empty), in pcscd's order. No readers is `Ok(empty)`.
///
/// # Errors
/// `Other` when pcscd is not running or fails.
pub fn list_readers(prefixes: &[String]) -> Result<Vec<String>, ReaderError> {
    let ctx = establish()?;
    let names = match ctx.list_readers_owned() {
        Ok(names) => names,
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(e) => return Err(other(e)),
    };
    Ok(names
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| prefixes.is_empty() || prefixes.iter().any(|p| n.starts_with(p.as_str())))
        .collect())
}

impl PcscReader {
    /// The reader called `name`, with a PC/SC context of its own. Whether the
    /// reader exists shows on the first [`Reader::connect`].
    ///
    /// # Errors
    /// `Other` when pcscd is not running or the name holds a NUL byte.
    pub fn open(name: &str) -> Result<Self, ReaderError> {
        Self::with_context(establish()?, name)
    }

    /// The reader called `name` on an existing context (contexts are
    /// thread-safe and may be shared).
    ///
    /// # Errors
    /// `Other` when the name holds a NUL byte.
    pub fn with_context(ctx: Context, name: &str) -> Result<Self, ReaderError> {
        let cname = CString::new(name).map_err(|_| ReaderError::Other(format!("reader name with NUL: {name:?}")))?;
        Ok(Self { name: name.to_owned(), cname, ctx, card: None, connected_at: 0, lost_at: None, buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED] })
    }

    /// Every reader whose name starts with one of `prefixes`, each with its
    /// own context, ready for the agent.
    ///
    /// # Errors
    /// As [`list_readers`] and [`PcscReader::open`].
    pub fn open_all(prefixes: &[String]) -> Result<Vec<Box<dyn Reader>>, ReaderError> {
        list_readers(prefixes)?.iter().map(|name| Self::open(name).map(|r| Box::new(r) as Box<dyn Reader>)).collect()
    }

    /// Forgets a card that left or died while connected.
    fn lose_card(&mut self) {
        self.disconnect();
        self.lost_at = Some(self.connected_at);
    }

    /// The context this reader waits on; [`Context::cancel`] on a clone ends
    /// a [`Reader::connect`] that is waiting for a card.
    #[must_use]
    pub fn context(&self) -> Context {
        self.ctx.clone()
    }

    /// The ATR of the connected card.
    ///
    /// # Errors
    /// As for an exchange with the card; `NoCard` when none is connected.
    pub fn atr(&self) -> Result<Vec<u8>, ReaderError> {
        let card = self.card.as_ref().ok_or(ReaderError::NoCard)?;
        card.status2_owned().map(|s| s.atr().to_vec()).map_err(card_error)
    }

    /// Connects now if a card is present. `Ok(false)` when none is (or it left
    /// before the connect).
    fn try_connect(&mut self, event_count: u32) -> Result<bool, ReaderError> {
        match self.ctx.connect(&self.cname, ShareMode::Exclusive, Protocols::ANY) {
            Ok(card) => {
                self.card = Some(card);
                self.connected_at = event_count;
                self.lost_at = None;
                Ok(true)
            }
            Err(pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard | pcsc::Error::UnresponsiveCard) => Ok(false),
            Err(e) => Err(other(e)),
        }
    }
}

impl Reader for PcscReader {
    fn name(&self) -> &str {
        &self.name
    }

    fn connect(&mut self, timeout: Duration) -> Result<bool, ReaderError> {
        self.disconnect();
        let deadline = Instant::now() + timeout;
        let mut states = [ReaderState::new(self.cname.clone(), State::UNAWARE)];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ctx.get_status_change(left.min(STATUS_SLICE), &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => {
                    if left.is_zero() {
                        return Ok(false);
                    }
                    continue;
                }
                Err(pcsc::Error::UnknownReader) => return Err(ReaderError::Other(format!("UnknownReader: no reader called {:?}", self.name))),
                Err(e) => return Err(other(e)),
            }
            let event = states[0].event_state();
            if event.contains(State::UNKNOWN) {
                return Err(ReaderError::Other(format!("UnknownReader: no reader called {:?}", self.name)));
            }
            // A mute card (no ATR) is not usable, nor is the lost card that
            // pcscd has not yet seen leave: wait for the next one.
            let count = states[0].event_count();
            if event.contains(State::PRESENT) && !event.contains(State::MUTE) && self.lost_at != Some(count) && self.try_connect(count)? {
                return Ok(true);
            }
            states[0].sync_current_state();
            if Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        let card = self.card.as_ref().ok_or(ReaderError::NoCard)?;
        let result = match card.transmit(apdu, &mut self.buf) {
            Ok(answer) if answer.len() >= 2 => return Ok(answer.to_vec()),
            Ok(_) => ReaderError::Removed,
            Err(e) => card_error(e),
        };
        if matches!(result, ReaderError::Removed | ReaderError::NoCard) {
            self.lose_card();
        }
        Err(result)
    }

    fn next_card(&mut self) -> Result<bool, ReaderError> {
        let Some(card) = self.card.as_mut() else {
            return Err(ReaderError::NoCard);
        };
        // pcsc-lite powers the slot down and up again: the feeder puts the
        // next card in between, and the reader never reports a removal.
        match card.reconnect(ShareMode::Exclusive, Protocols::ANY, Disposition::UnpowerCard) {
            Ok(()) => Ok(true),
            // The power-up found no card (slot empty, or not answering).
            Err(pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard | pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard) => {
                self.lose_card();
                Ok(false)
            }
            Err(e) => Err(other(e)),
        }
    }

    fn disconnect(&mut self) {
        if let Some(card) = self.card.take() {
            // On failure the card is handed back and dropped (reset).
            let _ = card.disconnect(Disposition::LeaveCard);
        }
    }
}
