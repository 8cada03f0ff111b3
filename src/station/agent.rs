//! The reader agent: runs one batch on every reader of a station in parallel.
//!
//! Each reader has a controller thread and an I/O thread. The controller
//! sends every reader call to the I/O thread and waits at most the batch's
//! watchdog for the answer; a call that does not come back in time fails the
//! card in hand with "reader timeout" and leaves the reader `stuck` until the
//! call returns. The batch never waits for a stuck reader.
//!
//! Per card: select, read serial, claim the serial among the batch's
//! unclaimed cards (or report a stray), read the lock state, then either
//! write every field and lock (unlocked card) or only read back (locked card,
//! a re-check after a crash), compare every field, report, eject, next card.
use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::profile::{sw_hex, Command, Response, Script};
use super::protocol::{Batch, BatchCard, CardResult, Failure, Outcome, ReaderActivity, Report};
use super::{Reader, ReaderError};

/// Longest single wait for a card, so an idle reader notices the batch end.
const CONNECT_SLICE: Duration = Duration::from_millis(100);
/// How often a stuck reader looks whether its hung call came back.
const STUCK_POLL: Duration = Duration::from_millis(20);
/// Shortest heartbeat interval, whatever the lease.
const MIN_HEARTBEAT: Duration = Duration::from_millis(50);
/// Heartbeats also carry the per-reader activity the progress page shows,
/// so they come at least this often whatever the lease.
const MAX_HEARTBEAT: Duration = Duration::from_secs(2);
/// Tries to eject one card before the reader is given up.
const EJECT_TRIES: u32 = 3;

/// Where reports go. Blocking; a real sink buffers and retries on its own.
pub trait Sink: Send + Sync {
    fn send(&self, report: Report);
}

/// What a batch came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Cards reported clear, re-checked ones included.
    pub clear: u32,
    /// Clear cards that were already locked with this data.
    pub rechecked: u32,
    /// Cards reported failed, `no_card` included.
    pub failed: u32,
    /// Cards of the batch that never came into a reader.
    pub no_card: u32,
    /// Foreign or repeated cards ejected unwritten.
    pub stray: u32,
    /// Readers whose hung call had not returned when the batch ended.
    pub stuck_readers: u32,
    pub elapsed: Duration,
}

/// Runs `batch` on `readers` until every card has a result or no reader has
/// had a card for `card_wait_ms`. Sends a heartbeat at the start and at least
/// every `lease_secs / 3` (and every 2 s at most apart), one `Card` report per batch card, `Stray` reports,
/// and `Finished` last.
pub fn run_batch(batch: &Batch, readers: Vec<Box<dyn Reader>>, sink: Arc<dyn Sink>) -> Summary {
    let started = Instant::now();
    let script = match batch.profile.compile() {
        Ok(script) => script,
        Err(err) => {
            tracing::error!(run = batch.run, error = %err, "profile cannot run, batch fails");
            return fail_all(batch, &sink, &err.to_string(), started);
        }
    };
    let names: Vec<String> = readers.iter().map(|r| r.name().to_string()).collect();
    let shared = Arc::new(Shared::new(batch, script, &names, Arc::clone(&sink)));
    tracing::info!(run = batch.run, attempt = batch.attempt, cards = batch.cards.len(), readers = names.len(), "batch starts");
    shared.heartbeat();

    let controllers: Vec<JoinHandle<()>> =
        readers.into_iter().enumerate().filter_map(|(idx, reader)| Worker::spawn(Arc::clone(&shared), idx, reader)).collect();

    let interval = Duration::from_millis(batch.lease_secs.saturating_mul(1000) / 3).clamp(MIN_HEARTBEAT, MAX_HEARTBEAT);
    let mut next_beat = Instant::now() + interval;
    let mut state = shared.lock();
    loop {
        let now = Instant::now();
        if now >= next_beat {
            drop(state);
            shared.heartbeat();
            next_beat = now + interval;
            state = shared.lock();
            continue;
        }
        let idle_until = state.last_busy + shared.card_wait;
        let working = state.busy.iter().any(|b| *b);
        let all_reported = state.reported.iter().all(|r| *r);
        if all_reported || (!working && (state.running == 0 || now >= idle_until)) {
            state.ended = true;
            break;
        }
        let wake = if working { next_beat } else { next_beat.min(idle_until) };
        let pause = wake.saturating_duration_since(now).max(Duration::from_millis(1));
        state = shared.changed.wait_timeout(state, pause).unwrap_or_else(PoisonError::into_inner).0;
    }
    drop(state);

    for controller in controllers {
        if controller.join().is_err() {
            tracing::error!(run = batch.run, "reader controller panicked");
        }
    }
    let missing: Vec<usize> = {
        let state = shared.lock();
        state.reported.iter().enumerate().filter(|(_, r)| !**r).map(|(i, _)| i).collect()
    };
    for idx in missing {
        let card = &batch.cards[idx];
        let result = card_result(batch.run, card, "", Outcome::Failed { reason: Failure::NoCard });
        shared.report_card(None, idx, result);
    }
    sink.send(Report::Finished { run: batch.run, attempt: batch.attempt });
    let mut summary = shared.lock().summary;
    summary.elapsed = started.elapsed();
    tracing::info!(run = batch.run, ?summary, "batch finished");
    summary
}

/// Every card fails with `detail`, for a batch that cannot run at all.
fn fail_all(batch: &Batch, sink: &Arc<dyn Sink>, detail: &str, started: Instant) -> Summary {
    let mut summary = Summary::default();
    for card in &batch.cards {
        let reason = Failure::ReaderError { detail: detail.to_string() };
        sink.send(Report::Card(card_result(batch.run, card, "", Outcome::Failed { reason })));
        summary.failed += 1;
    }
    sink.send(Report::Finished { run: batch.run, attempt: batch.attempt });
    summary.elapsed = started.elapsed();
    summary
}

fn card_result(run: i64, card: &BatchCard, reader: &str, outcome: Outcome) -> CardResult {
    CardResult { run, card: card.card, serial: card.serial.clone(), reader: reader.to_string(), outcome, rechecked: false, millis: 0, apdus: 0 }
}

/// State shared by the batch loop and the controllers.
struct Shared {
    run: i64,
    attempt: u32,
    cards: Vec<BatchCard>,
    script: Script,
    apdu_timeout: Duration,
    card_wait: Duration,
    sink: Arc<dyn Sink>,
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    /// Serial → index of a batch card no reader has taken yet.
    unclaimed: HashMap<String, usize>,
    /// Per batch card: a `Card` report was sent.
    reported: Vec<bool>,
    readers: Vec<ReaderActivity>,
    /// Per reader: a card is in hand.
    busy: Vec<bool>,
    /// Controllers still running (stuck ones included).
    running: usize,
    /// Last time a reader took or released a card.
    last_busy: Instant,
    /// No more claims; controllers leave.
    ended: bool,
    summary: Summary,
}

enum Claim {
    Card(usize),
    Stray,
    Ended,
}

impl Shared {
    fn new(batch: &Batch, script: Script, names: &[String], sink: Arc<dyn Sink>) -> Self {
        let mut unclaimed = HashMap::new();
        for (idx, card) in batch.cards.iter().enumerate() {
            unclaimed.entry(card.serial.trim().to_string()).or_insert(idx);
        }
        let readers = names.iter().map(|name| ReaderActivity { reader: name.clone(), state: "waiting".into(), serial: None, cards_done: 0 }).collect();
        let state = State {
            unclaimed,
            reported: vec![false; batch.cards.len()],
            readers,
            busy: vec![false; names.len()],
            running: 0,
            last_busy: Instant::now(),
            ended: false,
            summary: Summary::default(),
        };
        Self {
            run: batch.run,
            attempt: batch.attempt,
            cards: batch.cards.clone(),
            script,
            apdu_timeout: Duration::from_millis(batch.apdu_timeout_ms),
            card_wait: Duration::from_millis(batch.card_wait_ms),
            sink,
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn ended(&self) -> bool {
        self.lock().ended
    }

    fn heartbeat(&self) {
        let readers = self.lock().readers.clone();
        self.sink.send(Report::Heartbeat { run: self.run, attempt: self.attempt, readers });
    }

    /// Sets what reader `idx` shows; `busy` says whether it holds a card.
    fn activity(&self, idx: usize, state: &str, serial: Option<&str>, busy: bool) {
        let mut st = self.lock();
        let reader = &mut st.readers[idx];
        state.clone_into(&mut reader.state);
        reader.serial = serial.map(str::to_string);
        if st.busy[idx] != busy {
            st.busy[idx] = busy;
            st.last_busy = Instant::now();
        }
        drop(st);
        self.changed.notify_all();
    }

    /// Takes the batch card with this serial for one reader, atomically.
    fn claim(&self, serial: &str) -> Claim {
        let mut st = self.lock();
        if st.ended {
            return Claim::Ended;
        }
        st.unclaimed.remove(serial).map_or(Claim::Stray, Claim::Card)
    }

    fn report_stray(&self, reader: &str, serial: &str) {
        tracing::warn!(run = self.run, reader, serial, "card not in this batch, ejected unwritten");
        self.sink.send(Report::Stray { run: self.run, reader: reader.to_string(), serial: serial.to_string() });
        self.lock().summary.stray += 1;
    }

    /// Sends the one `Card` report of batch card `idx`, then counts it.
    fn report_card(&self, reader: Option<usize>, idx: usize, result: CardResult) {
        let clear = result.outcome == Outcome::Clear;
        let rechecked = result.rechecked;
        let no_card = result.outcome == (Outcome::Failed { reason: Failure::NoCard });
        if let Outcome::Failed { reason } = &result.outcome {
            tracing::warn!(run = self.run, serial = %result.serial, reader = %result.reader, reason = %reason.message(), "card failed");
        }
        self.sink.send(Report::Card(result));
        let mut st = self.lock();
        st.reported[idx] = true;
        if let Some(r) = reader {
            st.readers[r].cards_done += 1;
        }
        let s = &mut st.summary;
        if clear {
            s.clear += 1;
            s.rechecked += u32::from(rechecked);
        } else {
            s.failed += 1;
            s.no_card += u32::from(no_card);
        }
        drop(st);
        self.changed.notify_all();
    }
}

enum Call {
    Connect(Duration),
    Transmit(Vec<u8>),
    NextCard,
    Disconnect,
}

enum Reply {
    /// `connect` and `next_card`: whether a card is there.
    Present(Result<bool, ReaderError>),
    Data(Result<Vec<u8>, ReaderError>),
    Done,
}

/// The reader call did not come back: `Hung` past the watchdog, `Gone` when
/// the I/O thread died.
enum PortError {
    Hung,
    Gone,
}

/// The controller's side of a reader's I/O thread.
struct Port {
    calls: Sender<Call>,
    replies: Receiver<Reply>,
    io: Option<JoinHandle<()>>,
    /// A call is still running in the I/O thread past its watchdog.
    hung: bool,
}

impl Port {
    fn open(mut reader: Box<dyn Reader>, name: &str) -> std::io::Result<Self> {
        let (calls, call_rx) = mpsc::channel::<Call>();
        let (reply_tx, replies) = mpsc::channel::<Reply>();
        let io = thread::Builder::new().name(format!("reader-io {name}")).spawn(move || {
            for call in call_rx {
                let reply = match call {
                    Call::Connect(wait) => Reply::Present(reader.connect(wait)),
                    Call::Transmit(apdu) => Reply::Data(reader.transmit(&apdu)),
                    Call::NextCard => Reply::Present(reader.next_card()),
                    Call::Disconnect => {
                        reader.disconnect();
                        Reply::Done
                    }
                };
                if reply_tx.send(reply).is_err() {
                    break;
                }
            }
        })?;
        Ok(Self { calls, replies, io: Some(io), hung: false })
    }

    fn call(&mut self, call: Call, limit: Duration) -> Result<Reply, PortError> {
        self.calls.send(call).map_err(|_| PortError::Gone)?;
        match self.replies.recv_timeout(limit) {
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Timeout) => {
                self.hung = true;
                Err(PortError::Hung)
            }
            Err(RecvTimeoutError::Disconnected) => Err(PortError::Gone),
        }
    }

    fn present(&mut self, call: Call, limit: Duration) -> Result<Result<bool, ReaderError>, PortError> {
        match self.call(call, limit)? {
            Reply::Present(present) => Ok(present),
            Reply::Data(_) | Reply::Done => Err(PortError::Gone),
        }
    }

    fn transmit(&mut self, apdu: Vec<u8>, limit: Duration) -> Result<Result<Vec<u8>, ReaderError>, PortError> {
        match self.call(Call::Transmit(apdu), limit)? {
            Reply::Data(data) => Ok(data),
            Reply::Present(_) | Reply::Done => Err(PortError::Gone),
        }
    }

    /// Waits up to `limit` for the hung call to come back.
    fn await_hung(&mut self, limit: Duration) -> Result<Option<Reply>, PortError> {
        match self.replies.recv_timeout(limit) {
            Ok(reply) => {
                self.hung = false;
                Ok(Some(reply))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(PortError::Gone),
        }
    }

    /// Lets go of the card and ends the I/O thread; a hung I/O thread is left
    /// to end on its own when its call returns.
    fn close(mut self, limit: Duration) {
        if !self.hung {
            let _ = self.call(Call::Disconnect, limit);
        }
        let Self { calls, io, hung, .. } = self;
        drop(calls);
        if let (false, Some(io)) = (hung, io) {
            let _ = io.join();
        }
    }
}

/// How a failed card leaves the reader.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    /// Eject it and go on.
    Eject,
    /// The watchdog fired: wait for the reader.
    Stuck,
    /// The reader is unusable.
    Exit,
}

struct Fail {
    failure: Failure,
    then: Then,
}

impl Fail {
    const fn eject(failure: Failure) -> Self {
        Self { failure, then: Then::Eject }
    }
}

/// What a controller does next.
enum Phase {
    /// Slot empty: wait for a card.
    Wait,
    /// A card is connected: run the profile on it.
    Card,
    /// A call hung: wait for it to return.
    Stuck,
    Exit,
}

/// Counters of the card in hand.
struct CardRun {
    started: Instant,
    apdus: u32,
}

struct Worker {
    shared: Arc<Shared>,
    idx: usize,
    name: String,
    port: Port,
    /// Serial of the last card whose eject was not acknowledged, and how many
    /// times it was tried.
    unejected: Option<(String, u32)>,
}

impl Worker {
    fn spawn(shared: Arc<Shared>, idx: usize, reader: Box<dyn Reader>) -> Option<JoinHandle<()>> {
        let name = reader.name().to_string();
        let port = match Port::open(reader, &name) {
            Ok(port) => port,
            Err(err) => {
                tracing::error!(reader = %name, error = %err, "cannot start reader thread");
                return None;
            }
        };
        shared.lock().running += 1;
        let worker = Self { shared: Arc::clone(&shared), idx, name: name.clone(), port, unejected: None };
        match thread::Builder::new().name(format!("reader {name}")).spawn(move || worker.run()) {
            Ok(handle) => Some(handle),
            Err(err) => {
                tracing::error!(reader = %name, error = %err, "cannot start reader controller");
                shared.lock().running -= 1;
                None
            }
        }
    }

    fn run(mut self) {
        let mut phase = Phase::Wait;
        loop {
            phase = match phase {
                Phase::Wait => self.wait_for_card(),
                Phase::Card => self.work_card(),
                Phase::Stuck => self.wait_unstuck(),
                Phase::Exit => break,
            };
        }
        let Self { shared, idx, port, .. } = self;
        let stuck = port.hung;
        port.close(shared.apdu_timeout);
        let mut st = shared.lock();
        st.readers[idx].state = if stuck { "stuck" } else { "done" }.into();
        st.readers[idx].serial = None;
        st.busy[idx] = false;
        st.running -= 1;
        st.summary.stuck_readers += u32::from(stuck);
        drop(st);
        shared.changed.notify_all();
    }

    fn wait_for_card(&mut self) -> Phase {
        self.shared.activity(self.idx, "waiting", None, false);
        let slice = self.shared.card_wait.min(CONNECT_SLICE);
        loop {
            if self.shared.ended() {
                return Phase::Exit;
            }
            match self.port.present(Call::Connect(slice), slice + self.shared.apdu_timeout) {
                Ok(Ok(true)) => return Phase::Card,
                Ok(Ok(false) | Err(ReaderError::NoCard)) => {}
                Ok(Err(err)) => {
                    tracing::error!(reader = %self.name, error = ?err, "reader failed, no longer used in this batch");
                    return Phase::Exit;
                }
                Err(PortError::Hung) => return Phase::Stuck,
                Err(PortError::Gone) => return Phase::Exit,
            }
        }
    }

    fn work_card(&mut self) -> Phase {
        if self.shared.ended() {
            return Phase::Exit;
        }
        self.shared.activity(self.idx, "working", None, true);
        let shared = Arc::clone(&self.shared);
        let mut run = CardRun { started: Instant::now(), apdus: 0 };
        let serial = match self.identify(&mut run) {
            Ok(serial) => serial,
            Err(fail) => {
                // Without a serial the card cannot be matched to the batch:
                // it is ejected unreported and stays unclaimed.
                tracing::warn!(reader = %self.name, reason = %fail.failure.message(), "card could not be identified");
                return self.after(fail.then, None);
            }
        };
        match &mut self.unejected {
            Some((last, tries)) if *last == serial => {
                // The feeder kept the card after a failed eject: try again, unreported.
                if *tries >= EJECT_TRIES {
                    tracing::error!(reader = %self.name, serial, "feeder does not eject, reader no longer used");
                    return Phase::Exit;
                }
                return self.eject_and_next(Some(&serial));
            }
            Some(_) => self.unejected = None,
            None => {}
        }
        let idx = match shared.claim(&serial) {
            Claim::Card(idx) => idx,
            Claim::Stray => {
                shared.report_stray(&self.name, &serial);
                return self.eject_and_next(Some(&serial));
            }
            Claim::Ended => return Phase::Exit,
        };
        shared.activity(self.idx, "working", Some(&serial), true);
        let card = &shared.cards[idx];
        let (outcome, rechecked, then) = match self.personalize(card, &mut run) {
            Ok(rechecked) => (Outcome::Clear, rechecked, Then::Eject),
            Err(fail) => (Outcome::Failed { reason: fail.failure }, false, fail.then),
        };
        let mut result = card_result(shared.run, card, &self.name, outcome);
        result.rechecked = rechecked;
        result.millis = u64::try_from(run.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result.apdus = run.apdus;
        shared.report_card(Some(self.idx), idx, result);
        self.after(then, Some(&serial))
    }

    fn after(&mut self, then: Then, serial: Option<&str>) -> Phase {
        match then {
            Then::Eject => self.eject_and_next(serial),
            Then::Stuck => Phase::Stuck,
            Then::Exit => Phase::Exit,
        }
    }

    /// Select and read the serial.
    fn identify(&mut self, run: &mut CardRun) -> Result<String, Fail> {
        let shared = Arc::clone(&self.shared);
        self.step(&shared.script.select, &[], run)?;
        let answer = self.step(&shared.script.read_serial, &[], run)?;
        Script::serial(&answer.data).ok_or_else(|| Fail::eject(Failure::ReaderError { detail: "nomor seri kartu tidak terbaca".into() }))
    }

    /// Writes and locks an unlocked card, then compares every field. A card
    /// already locked is only compared. `Ok(true)` for a re-check.
    fn personalize(&mut self, card: &BatchCard, run: &mut CardRun) -> Result<bool, Fail> {
        let shared = Arc::clone(&self.shared);
        let script = &shared.script;
        let state = self.step(&script.read_state, &[], run)?;
        let locked = script.is_locked(&state.data);
        if !locked {
            for field in &script.fields {
                self.step(&field.write, &field.value_for(card), run)?;
            }
            self.step(&script.lock, &[], run)?;
        }
        for field in &script.fields {
            let back = self.step(&field.read, &[], run)?;
            if back.data != field.value_for(card) {
                return Err(Fail::eject(Failure::VerifyMismatch { field: field.name.clone() }));
            }
        }
        Ok(locked)
    }

    /// One APDU under the watchdog; any answer but the expected SW fails.
    fn step(&mut self, command: &Command, data: &[u8], run: &mut CardRun) -> Result<Response, Fail> {
        let apdu = command.apdu(data).map_err(|err| Fail::eject(Failure::ReaderError { detail: err.to_string() }))?;
        run.apdus += 1;
        let step = command.name.clone();
        let answer = match self.port.transmit(apdu, self.shared.apdu_timeout) {
            Ok(answer) => answer,
            Err(PortError::Hung) => {
                return Err(Fail { failure: Failure::ReaderTimeout { step }, then: Then::Stuck });
            }
            Err(PortError::Gone) => {
                let failure = Failure::ReaderError { detail: "proses reader berhenti".into() };
                return Err(Fail { failure, then: Then::Exit });
            }
        };
        let failure = match answer {
            Ok(raw) => match Response::parse(&raw) {
                Some(response) if command.accepts(response.sw) => return Ok(response),
                Some(response) => Failure::WriteRefused { step, sw: sw_hex(response.sw) },
                None => Failure::CardRemoved { step },
            },
            Err(ReaderError::Removed | ReaderError::NoCard) => Failure::CardRemoved { step },
            Err(ReaderError::Timeout) => Failure::ReaderTimeout { step },
            Err(ReaderError::Other(detail)) => Failure::ReaderError { detail },
        };
        Err(Fail::eject(failure))
    }

    /// Ejects the card in hand (best effort) and power-cycles for the next.
    fn eject_and_next(&mut self, serial: Option<&str>) -> Phase {
        let limit = self.shared.apdu_timeout;
        let eject = &self.shared.script.eject;
        let acknowledged = match eject.apdu(&[]) {
            Ok(apdu) => match self.port.transmit(apdu, limit) {
                Ok(Ok(raw)) => Response::parse(&raw).is_some_and(|r| eject.accepts(r.sw)),
                Ok(Err(_)) => false,
                Err(PortError::Hung) => return Phase::Stuck,
                Err(PortError::Gone) => return Phase::Exit,
            },
            Err(_) => false,
        };
        if acknowledged {
            self.unejected = None;
        } else if let Some(serial) = serial {
            match &mut self.unejected {
                Some((last, tries)) if last == serial => *tries += 1,
                other => *other = Some((serial.to_string(), 1)),
            }
        }
        match self.port.present(Call::NextCard, limit) {
            Ok(Ok(true)) => {
                self.shared.activity(self.idx, "working", None, true);
                self.shared.lock().last_busy = Instant::now();
                Phase::Card
            }
            // A card that left on its own leaves nothing to power-cycle.
            Ok(Ok(false) | Err(ReaderError::NoCard | ReaderError::Removed)) => Phase::Wait,
            Ok(Err(err)) => {
                tracing::warn!(reader = %self.name, error = ?err, "power cycle failed");
                Phase::Wait
            }
            Err(PortError::Hung) => Phase::Stuck,
            Err(PortError::Gone) => Phase::Exit,
        }
    }

    fn wait_unstuck(&mut self) -> Phase {
        tracing::warn!(reader = %self.name, "reader call hung past the watchdog, reader set aside");
        self.shared.activity(self.idx, "stuck", None, false);
        loop {
            if self.shared.ended() {
                return Phase::Exit;
            }
            match self.port.await_hung(STUCK_POLL) {
                Ok(None) => {}
                Ok(Some(reply)) => {
                    tracing::info!(reader = %self.name, "reader answers again");
                    return match reply {
                        Reply::Present(Ok(true)) => Phase::Card,
                        Reply::Present(_) | Reply::Done => Phase::Wait,
                        // The card of the hung APDU already failed.
                        Reply::Data(_) => self.eject_and_next(None),
                    };
                }
                Err(PortError::Hung | PortError::Gone) => return Phase::Exit,
            }
        }
    }
}
