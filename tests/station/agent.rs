//! The reader agent over simulated readers: happy path, every fault kind,
//! strays, missing cards, re-checks after a crash, the watchdog.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sifilma::station::{
    agent::{run_batch, Sink, Summary},
    profile::Profile,
    protocol::{Batch, BatchCard, CardResult, Failure, Outcome, Report},
    sim::sim_readers,
    vsam::{FaultKind, Hopper, VirtualSam, TAG_MANIFEST, TAG_PCID, TAG_PERSO},
};

#[derive(Default)]
struct Collect(Mutex<Vec<Report>>);

impl Sink for Collect {
    fn send(&self, report: Report) {
        self.0.lock().unwrap().push(report);
    }
}

fn serial(i: usize) -> String {
    format!("SAM{i:05}")
}

fn batch_card(i: usize) -> BatchCard {
    BatchCard {
        card: i64::try_from(i).unwrap() + 1000,
        serial: serial(i),
        perso_number: format!("P{i:04}"),
        pcid: format!("PCID-{i}"),
        manifest: format!("MAN/{i}"),
    }
}

fn batch(cards: Vec<BatchCard>) -> Batch {
    Batch {
        run: 7,
        attempt: 1,
        station: "SIM".into(),
        ticket: "TKT-1".into(),
        lease_secs: 30,
        card_wait_ms: 250,
        apdu_timeout_ms: 300,
        profile: Profile::default(),
        cards,
    }
}

/// A card written and locked with the data of `card`, as a crash would leave it.
fn personalized(card: &BatchCard) -> VirtualSam {
    VirtualSam::new(&card.serial)
        .with_field(TAG_PERSO, &format!("{}|{}", card.serial, card.perso_number))
        .with_field(TAG_PCID, &card.pcid)
        .with_field(TAG_MANIFEST, &card.manifest)
}

/// Runs the batch and checks the report contract: a heartbeat first,
/// exactly one `Card` per batch card, one `Finished`, last.
fn run(batch: &Batch, readers: usize, hopper: &Hopper, delay: Duration) -> (Summary, Vec<Report>) {
    let sink = Arc::new(Collect::default());
    let summary = run_batch(batch, sim_readers(readers, hopper.clone(), delay), sink.clone());
    let reports = sink.0.lock().unwrap().clone();
    assert!(matches!(reports.first(), Some(Report::Heartbeat { run: 7, .. })), "heartbeat at start");
    assert_eq!(reports.last(), Some(&Report::Finished { run: 7, attempt: 1 }));
    assert_eq!(reports.iter().filter(|r| matches!(r, Report::Finished { .. })).count(), 1);
    let mut ids: Vec<i64> = cards(&reports).values().map(|c| c.card).collect();
    ids.sort_unstable();
    let mut expected: Vec<i64> = batch.cards.iter().map(|c| c.card).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "one result per batch card");
    assert_eq!(reports.iter().filter(|r| matches!(r, Report::Card(_))).count(), batch.cards.len(), "no card reported twice");
    (summary, reports)
}

fn cards(reports: &[Report]) -> HashMap<String, CardResult> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Card(c) => Some((c.serial.clone(), c.clone())),
            _ => None,
        })
        .collect()
}

fn strays(reports: &[Report]) -> Vec<String> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Stray { serial, .. } => Some(serial.clone()),
            _ => None,
        })
        .collect()
}

fn failed(reason: Failure) -> Outcome {
    Outcome::Failed { reason }
}

/// The card left the feeder written with exactly `card`'s data, locked once,
/// never written after the lock.
fn assert_personalized(hopper: &Hopper, card: &BatchCard) {
    let out = hopper.output_of(&card.serial);
    assert_eq!(out.len(), 1, "{} left the feeder once", card.serial);
    let sam = &out[0];
    assert!(sam.locked && sam.ejected, "{} locked and ejected", card.serial);
    assert_eq!(sam.lock_count, 1);
    assert_eq!(sam.refused_after_lock, 0);
    assert_eq!(sam.field(TAG_PERSO), Some(format!("{}|{}", card.serial, card.perso_number)));
    assert_eq!(sam.field(TAG_PCID).as_deref(), Some(card.pcid.as_str()));
    assert_eq!(sam.field(TAG_MANIFEST).as_deref(), Some(card.manifest.as_str()));
}

#[test]
fn station_four_readers_personalize_a_hundred_cards() {
    let b = batch((0..100).map(batch_card).collect());
    let hopper = Hopper::new(b.cards.iter().map(|c| VirtualSam::new(&c.serial)));
    let (summary, reports) = run(&b, 4, &hopper, Duration::from_micros(200));
    let results = cards(&reports);
    for card in &b.cards {
        let r = &results[&card.serial];
        assert_eq!(r.outcome, Outcome::Clear, "{}", card.serial);
        assert!(!r.rechecked);
        assert_eq!(r.apdus, 10, "select, serial, state, 3 writes, lock, 3 read-backs");
        assert_personalized(&hopper, card);
        assert_eq!(hopper.output_of(&card.serial)[0].write_count, 3);
    }
    let readers: std::collections::HashSet<&str> = results.values().map(|r| r.reader.as_str()).collect();
    assert_eq!(readers.len(), 4, "every reader worked: {readers:?}");
    assert!(strays(&reports).is_empty());
    assert_eq!((summary.clear, summary.failed, summary.stray, summary.stuck_readers), (100, 0, 0, 0));
    assert!(summary.elapsed < Duration::from_millis(1500), "the batch ends when every card is done: {summary:?}");
}

#[test]
fn station_refusing_status_word_fails_the_card_with_that_sw() {
    // APDU 4 writes the perso data, 7 locks (see the default profile).
    for (at, step) in [(4, "tulis data perso"), (5, "tulis PCID"), (7, "kunci kartu"), (9, "baca ulang PCID")] {
        let b = batch((0..3).map(batch_card).collect());
        let hopper = Hopper::new(b.cards.iter().enumerate().map(|(i, c)| {
            let sam = VirtualSam::new(&c.serial);
            if i == 1 {
                sam.with_fault(at, FaultKind::Sw(0x6581))
            } else {
                sam
            }
        }));
        let (summary, reports) = run(&b, 2, &hopper, Duration::ZERO);
        let results = cards(&reports);
        assert_eq!(results[&serial(1)].outcome, failed(Failure::WriteRefused { step: step.into(), sw: "6581".into() }), "fault at APDU {at}");
        assert_eq!(results[&serial(1)].apdus, at);
        assert_eq!(results[&serial(0)].outcome, Outcome::Clear);
        assert_eq!(results[&serial(2)].outcome, Outcome::Clear);
        assert!(hopper.output_of(&serial(1))[0].ejected, "a failed card is still ejected");
        assert_eq!((summary.clear, summary.failed), (2, 1));
    }
}

#[test]
fn station_card_unreadable_before_its_serial_stays_unclaimed() {
    let mut b = batch((0..2).map(batch_card).collect());
    b.card_wait_ms = 150;
    let hopper = Hopper::new([VirtualSam::new(&serial(0)).with_fault(2, FaultKind::Sw(0x6F00)), VirtualSam::new(&serial(1))]);
    let (_, reports) = run(&b, 1, &hopper, Duration::ZERO);
    let results = cards(&reports);
    assert_eq!(results[&serial(0)].outcome, failed(Failure::NoCard));
    assert_eq!(results[&serial(1)].outcome, Outcome::Clear);
    let sam = &hopper.output_of(&serial(0))[0];
    assert!(sam.ejected && sam.write_count == 0);
}

#[test]
fn station_vanishing_card_is_reported_removed() {
    let b = batch((0..3).map(batch_card).collect());
    let hopper = Hopper::new(b.cards.iter().enumerate().map(|(i, c)| {
        let sam = VirtualSam::new(&c.serial);
        if i == 0 {
            sam.with_fault(5, FaultKind::Vanish)
        } else {
            sam
        }
    }));
    let (summary, reports) = run(&b, 1, &hopper, Duration::ZERO);
    let results = cards(&reports);
    assert_eq!(results[&serial(0)].outcome, failed(Failure::CardRemoved { step: "tulis PCID".into() }));
    let gone = &hopper.output_of(&serial(0))[0];
    assert!(gone.vanished && !gone.locked);
    for card in &b.cards[1..] {
        assert_eq!(results[&card.serial].outcome, Outcome::Clear);
        assert_personalized(&hopper, card);
    }
    assert_eq!((summary.clear, summary.failed), (2, 1));
}

#[test]
fn station_frozen_card_times_out_and_the_others_go_on() {
    let freeze = Duration::from_millis(1500);
    let mut b = batch((0..40).map(batch_card).collect());
    b.apdu_timeout_ms = 100;
    let hopper = Hopper::new(b.cards.iter().enumerate().map(|(i, c)| {
        let sam = VirtualSam::new(&c.serial);
        if i == 1 {
            sam.with_fault(4, FaultKind::Freeze(freeze))
        } else {
            sam
        }
    }));
    let (summary, reports) = run(&b, 4, &hopper, Duration::from_micros(500));
    let results = cards(&reports);
    assert_eq!(results[&serial(1)].outcome, failed(Failure::ReaderTimeout { step: "tulis data perso".into() }));
    let frozen_reader = &results[&serial(1)].reader;
    for card in b.cards.iter().filter(|c| c.serial != serial(1)) {
        assert_eq!(results[&card.serial].outcome, Outcome::Clear, "{}", card.serial);
        assert_personalized(&hopper, card);
    }
    assert!(summary.elapsed < freeze - Duration::from_millis(300), "the batch did not wait for the freeze: {summary:?}");
    assert_eq!(summary.stuck_readers, 1);
    assert_eq!((summary.clear, summary.failed), (39, 1));
    // The stuck reader took no card after the frozen one.
    let frozen_at = reports.iter().position(|r| matches!(r, Report::Card(c) if c.serial == serial(1))).unwrap();
    assert!(!reports[frozen_at + 1..].iter().any(|r| matches!(r, Report::Card(c) if &c.reader == frozen_reader)));
}

#[test]
fn station_foreign_card_is_stray_and_unwritten() {
    let b = batch((0..2).map(batch_card).collect());
    let hopper = Hopper::new([VirtualSam::new(&serial(0)), VirtualSam::new("ASING-1"), VirtualSam::new(&serial(1))]);
    let (summary, reports) = run(&b, 1, &hopper, Duration::ZERO);
    assert_eq!(strays(&reports), ["ASING-1"]);
    assert!(reports.contains(&Report::Stray { run: 7, reader: "SIM 00".into(), serial: "ASING-1".into() }));
    let foreign = &hopper.output_of("ASING-1")[0];
    assert_eq!((foreign.write_count, foreign.lock_count, foreign.ejected), (0, 0, true));
    assert!(foreign.fields.is_empty());
    assert!(cards(&reports).values().all(|r| r.outcome == Outcome::Clear));
    assert_eq!((summary.clear, summary.stray), (2, 1));
}

#[test]
fn station_card_that_never_comes_is_no_card() {
    let b = batch((0..3).map(batch_card).collect());
    let hopper = Hopper::new(b.cards[..2].iter().map(|c| VirtualSam::new(&c.serial)));
    let (summary, reports) = run(&b, 2, &hopper, Duration::ZERO);
    let missing = &cards(&reports)[&serial(2)];
    assert_eq!(missing.outcome, failed(Failure::NoCard));
    assert_eq!((missing.reader.as_str(), missing.apdus), ("", 0));
    assert_eq!((summary.clear, summary.failed, summary.no_card), (2, 1, 1));
    assert!(summary.elapsed >= Duration::from_millis(250), "waited card_wait_ms for it");
    assert!(summary.elapsed < Duration::from_millis(1000), "{summary:?}");
}

#[test]
fn station_no_reader_at_all_ends_at_once() {
    let b = batch((0..2).map(batch_card).collect());
    let (summary, reports) = run(&b, 0, &Hopper::default(), Duration::ZERO);
    assert!(cards(&reports).values().all(|r| r.outcome == failed(Failure::NoCard)));
    assert!(summary.elapsed < Duration::from_millis(200));
}

#[test]
fn station_locked_card_with_batch_data_is_rechecked_not_written() {
    let b = batch((0..2).map(batch_card).collect());
    let hopper = Hopper::new([personalized(&b.cards[0]).with_lock(), VirtualSam::new(&serial(1))]);
    let (summary, reports) = run(&b, 1, &hopper, Duration::ZERO);
    let results = cards(&reports);
    let again = &results[&serial(0)];
    assert_eq!(again.outcome, Outcome::Clear);
    assert!(again.rechecked);
    assert_eq!(again.apdus, 6, "select, serial, state, 3 read-backs");
    assert_personalized(&hopper, &b.cards[0]);
    assert_eq!(hopper.output_of(&serial(0))[0].write_count, 0);
    assert!(!results[&serial(1)].rechecked);
    assert_eq!((summary.clear, summary.rechecked), (2, 1));
}

#[test]
fn station_locked_card_with_other_data_is_a_verify_mismatch() {
    let b = batch(vec![batch_card(0)]);
    let mut other = batch_card(0);
    other.pcid = "PCID-LAIN".into();
    let hopper = Hopper::new([personalized(&other).with_lock()]);
    let (_, reports) = run(&b, 1, &hopper, Duration::ZERO);
    assert_eq!(cards(&reports)[&serial(0)].outcome, failed(Failure::VerifyMismatch { field: "PCID".into() }));
    let sam = &hopper.output_of(&serial(0))[0];
    assert_eq!((sam.write_count, sam.lock_count, sam.refused_after_lock), (0, 1, 0));
}

#[test]
fn station_partly_written_card_is_finished_and_locked_once() {
    let b = batch(vec![batch_card(0)]);
    let card = &b.cards[0];
    let partial = VirtualSam::new(&card.serial).with_field(TAG_PERSO, &format!("{}|LAMA", card.serial));
    let hopper = Hopper::new([partial]);
    let (_, reports) = run(&b, 1, &hopper, Duration::ZERO);
    let result = &cards(&reports)[&card.serial];
    assert_eq!(result.outcome, Outcome::Clear);
    assert!(!result.rechecked);
    assert_personalized(&hopper, card);
}

#[test]
fn station_same_card_twice_is_stray_the_second_time() {
    let b = batch((0..2).map(batch_card).collect());
    let hopper = Hopper::new([VirtualSam::new(&serial(0)), VirtualSam::new(&serial(0)), VirtualSam::new(&serial(1))]);
    let (summary, reports) = run(&b, 2, &hopper, Duration::from_micros(200));
    assert_eq!(strays(&reports), [serial(0)]);
    assert!(cards(&reports).values().all(|r| r.outcome == Outcome::Clear));
    let mut twins = hopper.output_of(&serial(0));
    twins.sort_by_key(|c| c.write_count);
    assert_eq!((twins[0].write_count, twins[0].lock_count), (0, 0), "the second one is left unwritten");
    assert_eq!((twins[1].write_count, twins[1].lock_count), (3, 1));
    assert_eq!((summary.clear, summary.stray), (2, 1));
}

#[test]
fn station_card_kept_by_the_feeder_is_ejected_again_not_reported_twice() {
    let b = batch((0..2).map(batch_card).collect());
    // APDU 11 is the eject: refused once, so the card comes back after the power cycle.
    let hopper = Hopper::new([VirtualSam::new(&serial(0)).with_fault(11, FaultKind::Sw(0x6F00)), VirtualSam::new(&serial(1))]);
    let (summary, reports) = run(&b, 1, &hopper, Duration::ZERO);
    assert!(strays(&reports).is_empty());
    assert!(cards(&reports).values().all(|r| r.outcome == Outcome::Clear));
    assert_eq!(hopper.output_of(&serial(0)).len(), 1);
    assert_eq!(hopper.output_of(&serial(0))[0].apdus, 14, "selected, serial read, ejected again");
    assert_eq!(summary.clear, 2);
}

#[test]
fn station_heartbeats_show_live_reader_activity() {
    let mut b = batch((0..6).map(batch_card).collect());
    b.lease_secs = 1;
    let hopper = Hopper::new(b.cards.iter().map(|c| VirtualSam::new(&c.serial)));
    let (_, reports) = run(&b, 1, &hopper, Duration::from_millis(12));
    let beats: Vec<_> = reports
        .iter()
        .filter_map(|r| match r {
            Report::Heartbeat { readers, .. } => Some(readers.clone()),
            _ => None,
        })
        .collect();
    assert!(beats.len() >= 3, "one at start and one every lease/3: {}", beats.len());
    assert_eq!(beats[0][0].reader, "SIM 00");
    assert!(beats[1..].iter().any(|r| r[0].state == "working" && r[0].serial.is_some() && r[0].cards_done > 0));
}

#[test]
fn station_unusable_profile_fails_every_card() {
    let mut b = batch((0..2).map(batch_card).collect());
    b.profile.lock.apdu = "80 E8".into();
    let sink = Arc::new(Collect::default());
    let summary = run_batch(&b, sim_readers(1, Hopper::default(), Duration::ZERO), sink.clone());
    let reports = sink.0.lock().unwrap().clone();
    assert_eq!(reports.len(), 3);
    assert!(cards(&reports)
        .values()
        .all(|r| matches!(&r.outcome, Outcome::Failed { reason: Failure::ReaderError { detail } } if detail.contains("kunci kartu"))));
    assert_eq!(summary.failed, 2);
}
