//! The station through the real PC/SC stack: [`PcscReader`] → pcscd → vpcd →
//! a [`vpcd`]-plugged virtual SAM, on the 16 readers `.ci/test` starts.
//!
//! Rules:
//! - Built only with `--features pcsc`; skipped (with a loud note) unless
//!   `SIFILMA_TEST_VPCD` is set, i.e. outside `bash .ci/test`; under
//!   `CI=true` a missing rig fails them (`support::require_service`).
//! - The readers are one per machine: every test holds [`Rig`] (a file lock)
//!   while it uses them, and nextest runs `rig::` tests one at a time (test
//!   group `pcsc` in `.config/nextest.toml`).
#![cfg(feature = "pcsc")]

use std::{
    collections::HashMap,
    fs::File,
    os::fd::AsRawFd,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sifilma::station::{
    agent::{run_batch, Sink, Summary},
    pcsc_reader::{list_readers, PcscReader},
    profile::Profile,
    protocol::{Batch, BatchCard, Failure, Outcome, Report},
    vpcd::{Plugged, VirtualReader, REMOVAL_SEEN, RIG_READERS},
    vsam::{FaultKind, Hopper, Slot, VirtualSam, AID, EJECT, TAG_MANIFEST, TAG_PCID, TAG_PERSO, TAG_SERIAL},
    Reader, ReaderError,
};

/// Exclusive use of the rig's readers for one test.
struct Rig {
    _lock: File,
}

/// `None` (after a loud note) when the rig is not up; a failure under `CI=true`.
fn rig() -> Option<Rig> {
    crate::support::require_service("the PC/SC rig (pcscd + vpcd, started by `bash .ci/test`)", "SIFILMA_TEST_VPCD")?;
    let path = std::env::temp_dir().join("sifilma-vpcd-rig.lock");
    let lock = File::options().create(true).truncate(false).write(true).open(&path).expect("open rig lock file");
    // SAFETY: flock on a file descriptor this File owns.
    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {}", path.display());
    // The previous holder's cards may have left just now; pcscd must see
    // them go before the same ports get new cards. Rule: pcscd polls the
    // vpcd readers, REMOVAL_SEEN bounds how long it takes to notice a
    // removal, and nothing the next holder can observe says it has.
    std::thread::sleep(REMOVAL_SEEN);
    let names = list_readers(&["VPCD-".to_string()]).expect("pcscd answers");
    assert_eq!(names.len(), RIG_READERS, "rig readers: {names:?}");
    Some(Rig { _lock: lock })
}

fn select() -> Vec<u8> {
    let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
    apdu.extend_from_slice(&AID);
    apdu
}

fn get(reader: &mut PcscReader, tag: u8) -> Result<Vec<u8>, ReaderError> {
    reader.transmit(&[0x80, 0xCA, 0x00, tag, 0x00])
}

fn serial(reader: &mut PcscReader) -> String {
    let answer = get(reader, TAG_SERIAL).expect("read serial");
    assert_eq!(answer[answer.len() - 2..], [0x90, 0x00]);
    String::from_utf8_lossy(&answer[..answer.len() - 2]).into_owned()
}

fn card(id: i64, serial: &str) -> BatchCard {
    BatchCard { card: id, serial: serial.into(), perso_number: format!("PN-{id:05}"), pcid: format!("PCID-{id:05}"), manifest: format!("MF-{id:05}") }
}

fn batch(cards: Vec<BatchCard>, card_wait_ms: u64, apdu_timeout_ms: u64) -> Batch {
    Batch {
        run: 7,
        attempt: 1,
        station: "RIG".into(),
        ticket: "TKT-RIG".into(),
        lease_secs: 60,
        card_wait_ms,
        apdu_timeout_ms,
        profile: Profile::default(),
        cards,
    }
}

#[derive(Default)]
struct Reports(Mutex<Vec<Report>>);

impl Sink for Reports {
    fn send(&self, report: Report) {
        self.0.lock().unwrap().push(report);
    }
}

impl Reports {
    /// Outcome of every card report by serial; each card reported once.
    fn outcomes(&self) -> HashMap<String, (Outcome, String)> {
        let mut map = HashMap::new();
        for report in self.0.lock().unwrap().iter() {
            if let Report::Card(c) = report {
                let old = map.insert(c.serial.clone(), (c.outcome.clone(), c.reader.clone()));
                assert!(old.is_none(), "card {} reported twice", c.serial);
            }
        }
        map
    }
}

/// One feeder per reader: reader `i` gets `hoppers[i]`, served over vpcd.
fn plug_all(hoppers: &[Hopper], delay: Duration) -> (Vec<Plugged>, Vec<Box<dyn Reader>>) {
    let mut plugged = Vec::new();
    let mut readers: Vec<Box<dyn Reader>> = Vec::new();
    for (i, hopper) in hoppers.iter().enumerate() {
        let vr = VirtualReader::rig(i);
        plugged.push(vr.plug(Slot::new(hopper.clone(), delay)));
        readers.push(Box::new(PcscReader::open(&vr.name).expect("open reader")));
    }
    (plugged, readers)
}

fn run(batch: &Batch, hoppers: &[Hopper], delay: Duration) -> (Summary, Arc<Reports>) {
    let (plugged, readers) = plug_all(hoppers, delay);
    let reports = Arc::new(Reports::default());
    let summary = run_batch(batch, readers, reports.clone());
    for p in plugged {
        drop(p.stop());
    }
    (summary, reports)
}

/// The card left the station personalized exactly once with `bc`'s data.
fn assert_personalized(hopper: &Hopper, bc: &BatchCard) {
    let out = hopper.output_of(&bc.serial);
    assert_eq!(out.len(), 1, "{} left the slot once", bc.serial);
    let sam = &out[0];
    assert!(sam.locked && sam.ejected && !sam.vanished, "{}: {sam:?}", bc.serial);
    assert_eq!((sam.lock_count, sam.write_count, sam.refused_after_lock), (1, 3, 0), "{}", bc.serial);
    assert_eq!(sam.field(TAG_PERSO), Some(format!("{}|{}", bc.serial, bc.perso_number)));
    assert_eq!(sam.field(TAG_PCID).as_deref(), Some(bc.pcid.as_str()));
    assert_eq!(sam.field(TAG_MANIFEST).as_deref(), Some(bc.manifest.as_str()));
}

#[test]
fn rig_pcsc_reader_drives_a_vpcd_card() {
    let Some(_rig) = rig() else { return };
    let vr = VirtualReader::rig(0);
    let hopper = Hopper::new(["S0", "S1", "S2"].map(VirtualSam::new));
    hopper.push(VirtualSam::new("V").with_fault(2, FaultKind::Vanish));
    hopper.push(VirtualSam::new("AFTER"));
    let plugged = vr.plug(Slot::new(hopper.clone(), Duration::ZERO));
    let mut reader = PcscReader::open(&vr.name).unwrap();
    assert_eq!(reader.name(), "VPCD-A 00 00");
    assert_eq!(reader.transmit(&select()), Err(ReaderError::NoCard), "not connected yet");
    assert_eq!(reader.connect(Duration::from_secs(5)), Ok(true));
    assert_eq!(reader.atr().unwrap(), sifilma::station::vsam::sam_atr());
    assert_eq!(reader.transmit(&select()), Ok(vec![0x90, 0x00]));
    assert_eq!(serial(&mut reader), "S0");

    // Feeder swap: eject, power cycle, the next card answers; no removal.
    for next in ["S1", "S2", "V"] {
        assert_eq!(reader.transmit(&EJECT), Ok(vec![0x90, 0x00]));
        assert_eq!(reader.next_card(), Ok(true));
        assert_eq!(reader.transmit(&select()), Ok(vec![0x90, 0x00]), "power cycle deselects");
        if next != "V" {
            assert_eq!(serial(&mut reader), next);
        }
    }
    assert_eq!(plugged.insertions(), 1, "swaps happen inside one connection");

    // Vanish during an APDU: an error (pcscd answers 0 bytes), then no card.
    assert_eq!(get(&mut reader, TAG_SERIAL), Err(ReaderError::Removed));
    assert_eq!(reader.transmit(&select()), Err(ReaderError::NoCard));
    // The next card comes in by insertion, once pcscd saw the removal.
    let started = Instant::now();
    assert_eq!(reader.connect(Duration::from_secs(5)), Ok(true));
    assert!(started.elapsed() >= Duration::from_millis(300), "not the vanished card again");
    assert_eq!(reader.transmit(&select()), Ok(vec![0x90, 0x00]));
    assert_eq!(serial(&mut reader), "AFTER");
    assert_eq!(plugged.insertions(), 2);

    // Eject the last card: the slot is empty after the power cycle.
    assert_eq!(reader.transmit(&EJECT), Ok(vec![0x90, 0x00]));
    assert_eq!(reader.next_card(), Ok(false));
    assert_eq!(reader.connect(Duration::from_millis(600)), Ok(false));
    // A card put into the hopper later is inserted and found.
    hopper.push(VirtualSam::new("LATE"));
    assert_eq!(reader.connect(Duration::from_secs(5)), Ok(true));
    assert_eq!(reader.transmit(&select()), Ok(vec![0x90, 0x00]));
    assert_eq!(serial(&mut reader), "LATE");
    reader.disconnect();
    drop(plugged.stop());

    let out: Vec<(String, bool, bool)> = hopper.output().into_iter().map(|c| (c.serial, c.ejected, c.vanished)).collect();
    let want = [("S0", true, false), ("S1", true, false), ("S2", true, false), ("V", false, true), ("AFTER", true, false), ("LATE", false, false)];
    assert_eq!(out, want.map(|(s, e, v)| (s.to_string(), e, v)));

    let mut unknown = PcscReader::open("VPCD-Z 00 00").unwrap();
    assert!(matches!(unknown.connect(Duration::from_millis(200)), Err(ReaderError::Other(e)) if e.contains("UnknownReader")));
}

#[test]
fn rig_four_readers_personalize_a_hundred_cards_each() {
    let Some(_rig) = rig() else { return };
    let mut cards = Vec::new();
    let hoppers: Vec<Hopper> = (0..4)
        .map(|r| {
            let hopper = Hopper::default();
            for i in 0..100 {
                let id = r * 100 + i + 1;
                let bc = card(id, &format!("0SAM{id:06}"));
                hopper.push(VirtualSam::new(&bc.serial));
                cards.push(bc);
            }
            hopper
        })
        .collect();
    let batch = batch(cards.clone(), 3_000, 5_000);
    let (summary, reports) = run(&batch, &hoppers, Duration::ZERO);
    assert_eq!((summary.clear, summary.failed, summary.stray, summary.stuck_readers), (400, 0, 0, 0), "{summary:?}");
    let outcomes = reports.outcomes();
    assert_eq!(outcomes.len(), 400);
    for (r, hopper) in hoppers.iter().enumerate() {
        assert_eq!(hopper.waiting(), 0);
        for bc in &cards[r * 100..(r + 1) * 100] {
            assert_eq!(outcomes[&bc.serial], (Outcome::Clear, VirtualReader::rig(r).name));
            assert_personalized(hopper, bc);
        }
    }
    assert!(matches!(reports.0.lock().unwrap().last(), Some(Report::Finished { run: 7, attempt: 1 })));
}

#[test]
fn rig_refused_command_fails_that_card_only() {
    let Some(_rig) = rig() else { return };
    let cards: Vec<BatchCard> = (1..=4).map(|i| card(i, &format!("SW{i}"))).collect();
    // APDU 5 is the second write (select, serial, state, write, write).
    let hopper = Hopper::new(cards.iter().map(|c| {
        let sam = VirtualSam::new(&c.serial);
        if c.card == 2 {
            sam.with_fault(5, FaultKind::Sw(0x6581))
        } else {
            sam
        }
    }));
    let (summary, reports) = run(&batch(cards.clone(), 3_000, 5_000), std::slice::from_ref(&hopper), Duration::ZERO);
    assert_eq!((summary.clear, summary.failed), (3, 1), "{summary:?}");
    let outcomes = reports.outcomes();
    let step = "tulis PCID".to_string();
    assert_eq!(outcomes["SW2"].0, Outcome::Failed { reason: Failure::WriteRefused { step, sw: "6581".into() } });
    for c in cards.iter().filter(|c| c.card != 2) {
        assert_personalized(&hopper, c);
    }
    let failed = &hopper.output_of("SW2")[0];
    assert!(!failed.locked && failed.ejected, "refused card ejected unlocked: {failed:?}");
}

#[test]
fn rig_card_vanishing_mid_apdu_is_removed_and_the_next_card_comes() {
    let Some(_rig) = rig() else { return };
    let cards: Vec<BatchCard> = (1..=3).map(|i| card(i, &format!("VAN{i}"))).collect();
    // APDU 7 is the lock.
    let hopper = Hopper::new(cards.iter().map(|c| {
        let sam = VirtualSam::new(&c.serial);
        if c.card == 2 {
            sam.with_fault(7, FaultKind::Vanish)
        } else {
            sam
        }
    }));
    let (summary, reports) = run(&batch(cards.clone(), 3_000, 5_000), std::slice::from_ref(&hopper), Duration::ZERO);
    assert_eq!((summary.clear, summary.failed), (2, 1), "{summary:?}");
    let step = "kunci kartu".to_string();
    assert_eq!(reports.outcomes()["VAN2"].0, Outcome::Failed { reason: Failure::CardRemoved { step } });
    assert_personalized(&hopper, &cards[0]);
    assert_personalized(&hopper, &cards[2]);
    assert!(hopper.output_of("VAN2")[0].vanished);
}

#[test]
fn rig_frozen_card_fails_by_watchdog_while_other_readers_finish() {
    let Some(_rig) = rig() else { return };
    let cards: Vec<BatchCard> = (1..=8).map(|i| card(i, &format!("FRZ{i}"))).collect();
    let freeze = Duration::from_secs(3);
    // Reader 0: the frozen card first (at its fourth APDU, the first write),
    // then FRZ2; reader 1: FRZ3..FRZ8.
    let hoppers = [
        Hopper::new([VirtualSam::new("FRZ1").with_fault(4, FaultKind::Freeze(freeze)), VirtualSam::new("FRZ2")]),
        Hopper::new(cards[2..].iter().map(|c| VirtualSam::new(&c.serial))),
    ];
    let (plugged, readers) = plug_all(&hoppers, Duration::ZERO);
    let reports = Arc::new(Reports::default());
    let started = Instant::now();
    let sink = reports.clone();
    let batch = batch(cards.clone(), 6_000, 500);
    let summary = run_batch(&batch, readers, sink);
    for p in plugged {
        drop(p.stop());
    }
    assert_eq!((summary.clear, summary.failed), (7, 1), "{summary:?}");
    let outcomes = reports.outcomes();
    let step = "tulis data perso".to_string();
    assert_eq!(outcomes["FRZ1"].0, Outcome::Failed { reason: Failure::ReaderTimeout { step } });
    // Reader 1 finished its six cards while reader 0 was stuck.
    let order: Vec<String> = reports.0.lock().unwrap().iter().filter_map(|r| if let Report::Card(c) = r { Some(c.serial.clone()) } else { None }).collect();
    let pos = |s: &str| order.iter().position(|o| o == s).unwrap();
    assert!(pos("FRZ8") < pos("FRZ2"), "other reader did not wait for the frozen one: {order:?}");
    assert!(started.elapsed() >= freeze, "FRZ2 came only after the freeze");
    for c in cards.iter().filter(|c| c.card != 1) {
        let hopper = if c.card == 2 { &hoppers[0] } else { &hoppers[1] };
        assert_personalized(hopper, c);
    }
    assert!(hoppers[0].output_of("FRZ1")[0].vanished);
}

#[test]
fn rig_card_that_never_comes_is_no_card() {
    let Some(_rig) = rig() else { return };
    let cards: Vec<BatchCard> = (1..=3).map(|i| card(i, &format!("NC{i}"))).collect();
    let hopper = Hopper::new([VirtualSam::new("NC1"), VirtualSam::new("NC3")]);
    let started = Instant::now();
    let (summary, reports) = run(&batch(cards.clone(), 1_500, 5_000), &[hopper.clone(), Hopper::default()], Duration::ZERO);
    assert_eq!((summary.clear, summary.failed, summary.no_card), (2, 1, 1), "{summary:?}");
    assert!(started.elapsed() >= Duration::from_millis(1_500), "waited card_wait_ms for NC2");
    let outcomes = reports.outcomes();
    assert_eq!(outcomes["NC2"], (Outcome::Failed { reason: Failure::NoCard }, String::new()));
    assert_personalized(&hopper, &cards[0]);
    assert_personalized(&hopper, &cards[2]);
}
mod agent_restart;
mod two_portals;
