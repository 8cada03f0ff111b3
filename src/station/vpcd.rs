//! The virtual SAM of the PC/SC test rig: a [`Slot`] served over the vpcd
//! TCP protocol, so pcscd sees it as a card in one of its virtual readers.
//!
//! vpcd (the pcscd driver of vsmartcard) listens, the card connects: one TCP
//! connection is one inserted card; closing it removes the card. Frames are a
//! big-endian `u16` length and a payload. A 1-byte payload is a control byte
//! ([`CTRL_OFF`], [`CTRL_ON`], [`CTRL_RESET`], [`CTRL_ATR`]); only
//! [`CTRL_ATR`] is answered (with the ATR). Any longer payload is a C-APDU,
//! answered with response data + SW1 SW2.
//!
//! pcscd polls every reader about every 400 ms by asking for the ATR, so a
//! card insertion or removal is seen only at the next poll; a card swap inside
//! one connection (power-off, next card, power-on) is not.
//!
//! Socket rules: `TCP_NODELAY` on, and `TCP_QUICKACK` re-armed after every
//! read. vpcd writes a frame in two small pieces; with delayed ACKs each
//! APDU waits for the kernel's ACK timer (~40 ms) instead of ~0.1 ms.
use std::{
    collections::HashMap,
    io::{self, Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc, Mutex, PoisonError,
    },
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use super::vsam::{Answer, Slot};

/// Control byte: power the card off (no answer).
pub const CTRL_OFF: u8 = 0;
/// Control byte: power the card on (no answer).
pub const CTRL_ON: u8 = 1;
/// Control byte: warm reset (no answer).
pub const CTRL_RESET: u8 = 2;
/// Control byte: send the ATR (answered with the ATR bytes).
pub const CTRL_ATR: u8 = 4;

/// vpcd port of the first reader of the first config entry (`0x8C7B`).
pub const FIRST_PORT: u16 = 35963;
/// Config-entry names of the test rig (`.ci/test`), two readers each.
pub const RIG_ENTRIES: [&str; 8] = ["VPCD-A", "VPCD-B", "VPCD-C", "VPCD-D", "VPCD-E", "VPCD-F", "VPCD-G", "VPCD-H"];
/// Readers of the test rig: two per config entry.
pub const RIG_READERS: usize = 2 * RIG_ENTRIES.len();

/// How often a blocked card thread looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);
/// How often an empty slot looks for the next hopper card.
const EMPTY_POLL: Duration = Duration::from_millis(10);
/// Reconnect backoff while vpcd refuses (pcscd not up yet).
const BACKOFF_MIN: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_millis(500);
/// Least time between closing a connection and opening the next one on the
/// same port. pcscd polls each reader every 400 ms and reports a removal only
/// if one poll finds no connection; a card back sooner is taken for the old
/// one still sitting there (after a failed power-up: "present, mute",
/// unusable). Within a process this is kept across [`Plugged`] instances;
/// another process plugging the same port must wait this long itself.
pub const REMOVAL_SEEN: Duration = Duration::from_millis(700);

/// When the last connection on each port closed, in this process.
static CLOSED_AT: Mutex<Option<HashMap<u16, Instant>>> = Mutex::new(None);

fn closed_at(port: u16) -> Option<Instant> {
    CLOSED_AT.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(|m| m.get(&port).copied())
}

fn set_closed_at(port: u16) {
    CLOSED_AT.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(HashMap::new).insert(port, Instant::now());
}

/// One virtual reader of the rig: the name pcscd lists and the vpcd port its
/// card connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualReader {
    pub name: String,
    pub port: u16,
}

impl VirtualReader {
    /// Rig reader `index` (0..[`RIG_READERS`]): entry `index / 2`, slot
    /// `index % 2`, e.g. 0 = `VPCD-A 00 00` on 35963, 15 = `VPCD-H 00 01` on
    /// 35978.
    ///
    /// # Panics
    /// When `index` is not a rig reader.
    #[must_use]
    pub fn rig(index: usize) -> Self {
        assert!(index < RIG_READERS, "the rig has {RIG_READERS} readers, not {}", index + 1);
        let port = FIRST_PORT + u16::try_from(index).expect("index < 16");
        Self { name: format!("{} 00 {:02}", RIG_ENTRIES[index / 2], index % 2), port }
    }

    /// The first `n` rig readers.
    #[must_use]
    pub fn rig_all(n: usize) -> Vec<Self> {
        (0..n).map(Self::rig).collect()
    }

    /// Puts `slot` behind this reader; see [`plug`].
    #[must_use]
    pub fn plug(&self, slot: Slot) -> Plugged {
        plug(self.port, slot)
    }
}

/// A slot being served to vpcd by its own thread. [`Plugged::stop`] (or drop)
/// removes the card and ends the thread.
pub struct Plugged {
    port: u16,
    stop: Arc<AtomicBool>,
    insertions: Arc<AtomicU32>,
    thread: Option<JoinHandle<Slot>>,
}

impl Plugged {
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// TCP connections made so far: card insertions as pcscd sees them. A
    /// card swap by power cycle does not count.
    #[must_use]
    pub fn insertions(&self) -> u32 {
        self.insertions.load(Ordering::Relaxed)
    }

    /// Removes the card, ends the thread and hands the slot back.
    ///
    /// # Panics
    /// When the card thread panicked (the panic is passed on).
    #[must_use = "the slot holds the cards' final state"]
    pub fn stop(mut self) -> Slot {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("thread is taken only here and in drop");
        match thread.join() {
            Ok(slot) => slot,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Drop for Plugged {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `slot` to vpcd on `127.0.0.1:port` from a new thread: while the slot
/// has a card, the card is connected (inserted); when a power-off leaves the
/// slot empty the connection closes (card removed) and the thread waits for
/// the hopper to refill or for [`Plugged::stop`]. Refused connections are
/// retried with backoff.
///
/// # Panics
/// When the thread cannot be spawned.
#[must_use]
pub fn plug(port: u16, slot: Slot) -> Plugged {
    let stop = Arc::new(AtomicBool::new(false));
    let insertions = Arc::new(AtomicU32::new(0));
    let card = Card { port, slot, stop: stop.clone(), insertions: insertions.clone() };
    let thread = thread::Builder::new().name(format!("vpcd-{port}")).spawn(move || card.run()).expect("spawn vpcd card thread");
    Plugged { port, stop, insertions, thread: Some(thread) }
}

/// Why a connection ended.
enum End {
    /// vpcd closed it (pcscd stopped, or it dropped the card).
    Closed,
    /// The slot is empty after a power-off.
    Empty,
    /// The card vanished or froze: it was pulled without an answer.
    Pulled,
    Stopped,
}

struct Card {
    port: u16,
    slot: Slot,
    stop: Arc<AtomicBool>,
    insertions: Arc<AtomicU32>,
}

impl Card {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn run(mut self) -> Slot {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut backoff = BACKOFF_MIN;
        while !self.stopped() {
            if !self.slot.has_card() {
                thread::sleep(EMPTY_POLL);
                continue;
            }
            if let Some(at) = closed_at(self.port) {
                self.sleep((at + REMOVAL_SEEN).saturating_duration_since(Instant::now()));
                if self.stopped() {
                    break;
                }
            }
            let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
                self.sleep(backoff);
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            };
            backoff = BACKOFF_MIN;
            self.insertions.fetch_add(1, Ordering::Relaxed);
            // Closed: vpcd dropped the connection (pcscd stopping, a failed
            // write); a card still in the slot goes in again. Empty, Pulled:
            // the card is gone; the next one comes from the hopper.
            let end = self.serve(stream);
            set_closed_at(self.port);
            if matches!(end, End::Stopped) {
                break;
            }
        }
        self.slot
    }

    /// Sleeps `d` in steps, returning early when stopped.
    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopped() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            thread::sleep(left.min(STOP_POLL));
        }
    }

    fn serve(&mut self, mut stream: TcpStream) -> End {
        if stream.set_nodelay(true).is_err() || stream.set_read_timeout(Some(STOP_POLL)).is_err() {
            return End::Closed;
        }
        quickack(&stream);
        let mut payload = Vec::with_capacity(264);
        loop {
            let mut len = [0u8; 2];
            match self.read_full(&mut stream, &mut len) {
                Ok(true) => {}
                Ok(false) => return End::Stopped,
                Err(_) => return End::Closed,
            }
            payload.resize(usize::from(u16::from_be_bytes(len)), 0);
            match self.read_full(&mut stream, &mut payload) {
                Ok(true) => {}
                Ok(false) => return End::Stopped,
                Err(_) => return End::Closed,
            }
            let answer = match payload.as_slice() {
                [CTRL_OFF] => {
                    self.slot.power_off();
                    if !self.slot.has_card() {
                        return End::Empty;
                    }
                    continue;
                }
                [CTRL_ON] => {
                    self.slot.power_on();
                    continue;
                }
                [CTRL_RESET] => {
                    self.slot.reset();
                    continue;
                }
                [CTRL_ATR] => self.slot.atr(),
                // vpcd sends no other control byte; none expects an answer.
                [_] | [] => continue,
                apdu => match self.slot.apdu(apdu) {
                    Answer::Data(data) => data,
                    Answer::Vanish => return End::Pulled,
                    Answer::Freeze(d) => {
                        self.sleep(d);
                        return if self.stopped() { End::Stopped } else { End::Pulled };
                    }
                },
            };
            if write_frame(&mut stream, &answer).is_err() {
                return End::Closed;
            }
        }
    }

    /// Fills `buf`. `Ok(false)` when stopped, `Err` when the connection ended
    /// (EOF included).
    fn read_full(&self, stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            if self.stopped() {
                return Ok(false);
            }
            match stream.read(&mut buf[got..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => {}
                Err(e) => return Err(e),
            }
            // The kernel clears QUICKACK on its own; every read re-arms it.
            quickack(stream);
        }
        Ok(true)
    }
}

/// One frame in one write: with `TCP_NODELAY` it leaves as one segment.
fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

#[cfg(target_os = "linux")]
fn quickack(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer/length pair to a live c_int.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            std::ptr::addr_of!(on).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(4),
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn quickack(_stream: &TcpStream) {}
