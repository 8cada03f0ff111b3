//! Station throughput through the real PC/SC stack: the reader agent on 1, 4
//! and 16 readers of the vpcd rig, each reader fed by its own hopper of
//! virtual SAMs that take a fixed 20 ms per APDU (a slow real SAM's order of
//! magnitude). Prints cards per minute, the overhead ratio (wall time per card
//! per reader ÷ the card's own APDU time), scaling against one reader and the
//! projected cards per 8-hour day; then the raw costs of the stack: one APDU,
//! a feeder swap (eject + power cycle) and a removal + insertion.
//!
//! Goal: ratio ≤ 1.10 and 16 readers ≥ 14× one reader.
//!
//! Needs pcscd with the rig's readers (skips with a note otherwise):
//!   SIFILMA_RIG_ONLY=1 SIFILMA_RIG_HOLD=1 bash .ci/test      # shell 1, stays up
//!   SIFILMA_TEST_VPCD=1 cargo bench --features pcsc --bench stations   # shell 2
//! `SIFILMA_BENCH_CARDS` sets the cards per reader (default 25),
//! `SIFILMA_BENCH_READERS` the reader counts (default `1,4,16`).
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sifilma::station::{
    agent::{run_batch, Sink},
    pcsc_reader::{list_readers, PcscReader},
    profile::Profile,
    protocol::{Batch, BatchCard, Outcome, Report},
    vpcd::{VirtualReader, RIG_READERS},
    vsam::{FaultKind, Hopper, Slot, VirtualSam, AID, EJECT},
    Reader,
};

const APDU_DELAY: Duration = Duration::from_millis(20);
const DAY: f64 = 8.0 * 60.0;

/// Outcome and in-reader milliseconds of every card report.
struct Counter(std::sync::Mutex<Vec<(Outcome, u64)>>);

impl Sink for Counter {
    fn send(&self, report: Report) {
        if let Report::Card(c) = report {
            self.0.lock().unwrap().push((c.outcome, c.millis));
        }
    }
}

struct Figures {
    readers: usize,
    cards: usize,
    wall: Duration,
    /// APDUs each card received, eject included.
    apdus_per_card: f64,
    /// Mean time the agent spent on a card (identify to report).
    in_reader: Duration,
}

impl Figures {
    fn cards_per_min(&self) -> f64 {
        self.cards as f64 / self.wall.as_secs_f64() * 60.0
    }
    fn per_card_per_reader(&self) -> Duration {
        self.wall.mul_f64(self.readers as f64 / self.cards as f64)
    }
    fn ratio(&self) -> f64 {
        self.per_card_per_reader().as_secs_f64() / (self.apdus_per_card * APDU_DELAY.as_secs_f64())
    }
}

fn batch_card(id: usize) -> BatchCard {
    BatchCard {
        card: id as i64,
        serial: format!("0SAM{id:06}"),
        perso_number: format!("PN-{id:06}"),
        pcid: format!("PCID-{id:06}"),
        manifest: format!("MF-{id:06}"),
    }
}

/// Blocks until pcscd reports a card in each of `names`.
fn wait_present(names: &[String]) {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd");
    let mut states: Vec<pcsc::ReaderState> =
        names.iter().map(|n| pcsc::ReaderState::new(std::ffi::CString::new(n.as_str()).unwrap(), pcsc::State::UNAWARE)).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        ctx.get_status_change(Duration::from_millis(500), &mut states).ok();
        if states.iter().all(|s| s.event_state().contains(pcsc::State::PRESENT)) {
            return;
        }
        assert!(Instant::now() < deadline, "cards not seen by pcscd");
        states.iter_mut().for_each(pcsc::ReaderState::sync_current_state);
    }
}

/// One batch of `per_reader` cards on each of `n` readers. The clock starts
/// once pcscd sees every first card, so the one-off insertion is not counted
/// (a station inserts a card once per hopper, not per card).
fn measure(n: usize, per_reader: usize) -> Figures {
    let mut cards = Vec::new();
    let mut plugged = Vec::new();
    let mut hoppers = Vec::new();
    let mut readers: Vec<Box<dyn Reader>> = Vec::new();
    for r in 0..n {
        let hopper = Hopper::default();
        for i in 0..per_reader {
            let bc = batch_card(r * per_reader + i + 1);
            hopper.push(VirtualSam::new(&bc.serial));
            cards.push(bc);
        }
        let vr = VirtualReader::rig(r);
        plugged.push(vr.plug(Slot::new(hopper.clone(), APDU_DELAY)));
        readers.push(Box::new(PcscReader::open(&vr.name).expect("reader")));
        hoppers.push(hopper);
    }
    // A port used just before waits REMOVAL_SEEN before its card connects;
    // until then pcscd may still show the previous card present.
    let deadline = Instant::now() + Duration::from_secs(10);
    while plugged.iter().any(|p| p.insertions() == 0) {
        assert!(Instant::now() < deadline, "vpcd does not take the cards");
        std::thread::sleep(Duration::from_millis(5));
    }
    let names: Vec<String> = readers.iter().map(|r| r.name().to_string()).collect();
    wait_present(&names);
    let batch = Batch {
        run: 1,
        attempt: 1,
        station: "BENCH".into(),
        ticket: "BENCH".into(),
        lease_secs: 600,
        card_wait_ms: 5_000,
        apdu_timeout_ms: 5_000,
        profile: Profile::default(),
        cards,
    };
    let sink = Arc::new(Counter(std::sync::Mutex::new(Vec::new())));
    let started = Instant::now();
    let summary = run_batch(&batch, readers, sink.clone());
    let wall = started.elapsed();
    for p in plugged {
        drop(p.stop());
    }
    let total = n * per_reader;
    assert_eq!(summary.clear as usize, total, "every card clear: {summary:?}");
    let results = sink.0.lock().unwrap();
    assert!(results.iter().all(|(o, _)| *o == Outcome::Clear));
    let in_reader = Duration::from_millis(results.iter().map(|(_, ms)| ms).sum::<u64>()) / total as u32;
    let apdus: u32 = hoppers.iter().flat_map(Hopper::output).map(|c| c.apdus).sum();
    Figures { readers: n, cards: total, wall, apdus_per_card: f64::from(apdus) / total as f64, in_reader }
}

fn select() -> Vec<u8> {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
    apdu.extend_from_slice(&AID);
    apdu
}

/// Raw costs on one reader with an instant card: APDU round trip, feeder
/// swap, removal + insertion.
fn stack_costs() -> (Duration, Duration, Duration) {
    const APDUS: u32 = 2_000;
    const SWAPS: u32 = 50;
    let hopper = Hopper::new((0..=SWAPS).map(|i| VirtualSam::new(&format!("SW{i}"))));
    hopper.push(VirtualSam::new("GONE").with_fault(2, FaultKind::Vanish));
    hopper.push(VirtualSam::new("NEXT"));
    let vr = VirtualReader::rig(0);
    let plugged = vr.plug(Slot::new(hopper, Duration::ZERO));
    let mut r = PcscReader::open(&vr.name).expect("reader");
    assert!(r.connect(Duration::from_secs(5)).expect("connect"));
    let started = Instant::now();
    for _ in 0..APDUS {
        r.transmit(&select()).expect("apdu");
    }
    let apdu = started.elapsed() / APDUS;
    let started = Instant::now();
    for _ in 0..SWAPS {
        r.transmit(&EJECT).expect("eject");
        assert!(r.next_card().expect("swap"));
    }
    let swap = started.elapsed() / SWAPS;
    r.transmit(&EJECT).expect("eject");
    assert!(r.next_card().expect("swap"));
    r.transmit(&select()).expect("select");
    assert!(r.transmit(&select()).is_err(), "GONE vanishes");
    let started = Instant::now();
    assert!(r.connect(Duration::from_secs(5)).expect("connect"));
    let insertion = started.elapsed();
    r.disconnect();
    drop(plugged.stop());
    (apdu, swap, insertion)
}

fn main() {
    if std::env::var_os("SIFILMA_TEST_VPCD").is_none() {
        println!("stations bench skipped: SIFILMA_TEST_VPCD is not set. Start the rig with");
        println!("  SIFILMA_RIG_ONLY=1 SIFILMA_RIG_HOLD=1 bash .ci/test");
        println!("and run  SIFILMA_TEST_VPCD=1 cargo bench --features pcsc --bench stations  in another shell.");
        return;
    }
    // The rig tests' lock: the readers are one per machine.
    let lock_path = std::env::temp_dir().join("sifilma-vpcd-rig.lock");
    let lock = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path).expect("rig lock file");
    // SAFETY: flock on a file descriptor this File owns.
    assert_eq!(unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) }, 0, "flock");
    std::thread::sleep(sifilma::station::vpcd::REMOVAL_SEEN);
    let readers = list_readers(&["VPCD-".to_string()]).expect("pcscd");
    assert_eq!(readers.len(), RIG_READERS, "rig readers: {readers:?}");
    let per_reader: usize = std::env::var("SIFILMA_BENCH_CARDS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);

    let (apdu, swap, insertion) = stack_costs();
    println!("stack costs, one reader, card answering at once:");
    println!("  APDU round trip (agent side)          {:>9.3} ms", apdu.as_secs_f64() * 1e3);
    println!("  feeder swap (eject + next_card)       {:>9.3} ms", swap.as_secs_f64() * 1e3);
    println!("  removal + insertion (vanish → connect){:>9.1} ms", insertion.as_secs_f64() * 1e3);
    println!();
    println!("{per_reader} cards per reader, {} ms per APDU on the card:", APDU_DELAY.as_millis());
    println!("readers  cards    wall s  cards/min  APDUs/card  ms/card/reader  in-reader ms  ratio  scaling  cards/8h");
    let mut one = None;
    let mut worst_ratio: f64 = 0.0;
    let mut scaling16 = 0.0;
    let counts: Vec<usize> =
        std::env::var("SIFILMA_BENCH_READERS").ok().map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect()).unwrap_or_else(|| vec![1, 4, 16]);
    for n in counts {
        let f = measure(n, per_reader);
        let base = *one.get_or_insert(f.cards_per_min());
        let scaling = f.cards_per_min() / base;
        worst_ratio = worst_ratio.max(f.ratio());
        if n == 16 {
            scaling16 = scaling;
        }
        println!(
            "{:>7}  {:>5}  {:>8.2}  {:>9.1}  {:>10.1}  {:>14.1}  {:>12.1}  {:>5.3}  {:>6.2}×  {:>8.0}",
            f.readers,
            f.cards,
            f.wall.as_secs_f64(),
            f.cards_per_min(),
            f.apdus_per_card,
            f.per_card_per_reader().as_secs_f64() * 1e3,
            f.in_reader.as_secs_f64() * 1e3,
            f.ratio(),
            scaling,
            f.cards_per_min() * DAY,
        );
    }
    let ok = worst_ratio <= 1.10 && scaling16 >= 14.0;
    println!();
    println!("goal ratio ≤ 1.10 and 16 readers ≥ 14× one: worst ratio {worst_ratio:.3}, 16 readers {scaling16:.2}× → {}", if ok { "met" } else { "MISSED" });
}
