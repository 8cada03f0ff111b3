//! The virtual SAM card and the feeder slot that holds it. Pure Rust, no I/O:
//! the simulated station ([`super::sim`]) and the vpcd test card drive the
//! same [`Slot`].
//!
//! The card understands the default [`super::profile::Profile`]:
//!
//! | command | APDU | answer |
//! |---|---|---|
//! | select | `00 A4 04 00 08` + [`AID`] | `9000`; other AID `6A82` |
//! | get data | `80 CA 00 <tag> 00` | value + `9000`; unknown tag `6A86`, unset field `6A88` |
//! | put data | `80 DA 00 <tag> Lc data` | `9000`; locked `6985`, bad length `6700`, perso data of another serial `6A80` |
//! | lock | `80 E8 00 00` | `9000`; already locked or a field unset `6985` |
//! | eject (feeder) | [`EJECT`] | `9000`; the card leaves at the next power-off |
//!
//! Tags: [`TAG_SERIAL`] (ASCII), [`TAG_STATE`] (`00` unlocked, `01` locked),
//! [`TAG_PERSO`] (`<serial>|<perso number>`), [`TAG_PCID`], [`TAG_MANIFEST`].
//! Proprietary commands before a successful select answer `6985`; an unknown
//! class `6E00`, an unknown instruction `6D00`.
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// AID of the test SAM application.
pub const AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x09, 0x99, 0x53, 0x41, 0x4D];
pub const TAG_SERIAL: u8 = 0x01;
pub const TAG_STATE: u8 = 0x02;
pub const TAG_PERSO: u8 = 0x10;
pub const TAG_PCID: u8 = 0x11;
pub const TAG_MANIFEST: u8 = 0x12;
/// Tags that must be written before the card can be locked.
pub const DATA_TAGS: [u8; 3] = [TAG_PERSO, TAG_PCID, TAG_MANIFEST];
/// Feeder command: eject the card at the next power-off.
pub const EJECT: [u8; 4] = [0xFF, 0xEE, 0x00, 0x00];
/// Longest value a data field takes.
pub const MAX_FIELD_LEN: usize = 64;

pub const SW_OK: u16 = 0x9000;
pub const SW_WRONG_LENGTH: u16 = 0x6700;
pub const SW_NOT_ALLOWED: u16 = 0x6985;
pub const SW_WRONG_DATA: u16 = 0x6A80;
pub const SW_NOT_FOUND: u16 = 0x6A82;
pub const SW_WRONG_P1P2: u16 = 0x6A86;
pub const SW_NO_DATA: u16 = 0x6A88;
pub const SW_UNKNOWN_INS: u16 = 0x6D00;
pub const SW_UNKNOWN_CLA: u16 = 0x6E00;

/// What goes wrong with a card, at one of its APDUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// 1-based count of the APDUs this card received (feeder commands included).
    pub at_apdu: u32,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status word instead of running the command.
    Sw(u16),
    /// The card disappears without answering.
    Vanish,
    /// No answer for this long, then the card disappears.
    Freeze(Duration),
}

/// One virtual SAM. Fields are public so tests can prepare and inspect cards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VirtualSam {
    pub serial: String,
    /// Data fields by tag.
    pub fields: BTreeMap<u8, Vec<u8>>,
    pub locked: bool,
    /// Accepted writes.
    pub write_count: u32,
    /// Successful locks.
    pub lock_count: u32,
    /// Writes and locks refused because the card was already locked.
    pub refused_after_lock: u32,
    /// APDUs received in the slot, feeder commands and faulted ones included.
    pub apdus: u32,
    pub faults: Vec<Fault>,
    /// The feeder was told to eject this card.
    pub ejected: bool,
    /// The card vanished (fault) instead of leaving through the feeder.
    pub vanished: bool,
    selected: bool,
}

/// Splits a command APDU into header, data and whether Le is present;
/// `None` when the lengths do not add up.
fn split_apdu(cmd: &[u8]) -> Option<([u8; 4], &[u8])> {
    let header: [u8; 4] = cmd.get(..4)?.try_into().ok()?;
    let body = &cmd[4..];
    let data = match body.len() {
        0 | 1 => &[][..],
        _ => {
            let lc = usize::from(body[0]);
            let rest = &body[1..];
            // Case 3 (data only) or case 4 (data + Le).
            if lc == 0 || (rest.len() != lc && rest.len() != lc + 1) {
                return None;
            }
            &rest[..lc]
        }
    };
    Some((header, data))
}

fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

impl VirtualSam {
    /// A blank, unlocked card.
    #[must_use]
    pub fn new(serial: &str) -> Self {
        Self { serial: serial.into(), ..Self::default() }
    }

    #[must_use]
    pub fn with_fault(mut self, at_apdu: u32, kind: FaultKind) -> Self {
        self.faults.push(Fault { at_apdu, kind });
        self
    }

    /// Presets a field as if it had been written earlier (not counted).
    #[must_use]
    pub fn with_field(mut self, tag: u8, value: &str) -> Self {
        self.fields.insert(tag, value.as_bytes().to_vec());
        self
    }

    /// Presets the card as locked earlier (counted once in `lock_count`).
    #[must_use]
    pub fn with_lock(mut self) -> Self {
        self.locked = true;
        self.lock_count += 1;
        self
    }

    /// A field as text, if set.
    #[must_use]
    pub fn field(&self, tag: u8) -> Option<String> {
        self.fields.get(&tag).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Forgets the selected application (power cycle, reset).
    pub fn deselect(&mut self) {
        self.selected = false;
    }

    /// Runs one command APDU and answers data + SW. Feeder commands and
    /// faults are the slot's business.
    pub fn process(&mut self, cmd: &[u8]) -> Vec<u8> {
        let Some(([cla, ins, p1, p2], data)) = split_apdu(cmd) else {
            return with_sw(Vec::new(), SW_WRONG_LENGTH);
        };
        match (cla, ins) {
            (0x00, 0xA4) => {
                if (p1, p2) != (0x04, 0x00) {
                    return with_sw(Vec::new(), SW_WRONG_P1P2);
                }
                self.selected = data == AID;
                let sw = if self.selected { SW_OK } else { SW_NOT_FOUND };
                with_sw(Vec::new(), sw)
            }
            (0x00, _) => with_sw(Vec::new(), SW_UNKNOWN_INS),
            (0x80, 0xCA | 0xDA | 0xE8) if !self.selected => with_sw(Vec::new(), SW_NOT_ALLOWED),
            (0x80, 0xCA) => self.get_data(p1, p2, data),
            (0x80, 0xDA) => with_sw(Vec::new(), self.put_data(p1, p2, data)),
            (0x80, 0xE8) => with_sw(Vec::new(), self.lock(p1, p2, data)),
            (0x80, _) => with_sw(Vec::new(), SW_UNKNOWN_INS),
            _ => with_sw(Vec::new(), SW_UNKNOWN_CLA),
        }
    }

    fn get_data(&self, p1: u8, tag: u8, data: &[u8]) -> Vec<u8> {
        if !data.is_empty() {
            return with_sw(Vec::new(), SW_WRONG_LENGTH);
        }
        if p1 != 0 {
            return with_sw(Vec::new(), SW_WRONG_P1P2);
        }
        match tag {
            TAG_SERIAL => with_sw(self.serial.as_bytes().to_vec(), SW_OK),
            TAG_STATE => with_sw(vec![u8::from(self.locked)], SW_OK),
            t if DATA_TAGS.contains(&t) => match self.fields.get(&t) {
                Some(v) => with_sw(v.clone(), SW_OK),
                None => with_sw(Vec::new(), SW_NO_DATA),
            },
            _ => with_sw(Vec::new(), SW_WRONG_P1P2),
        }
    }

    fn put_data(&mut self, p1: u8, tag: u8, data: &[u8]) -> u16 {
        if p1 != 0 || !DATA_TAGS.contains(&tag) {
            return SW_WRONG_P1P2;
        }
        if self.locked {
            self.refused_after_lock += 1;
            return SW_NOT_ALLOWED;
        }
        if data.is_empty() || data.len() > MAX_FIELD_LEN {
            return SW_WRONG_LENGTH;
        }
        if tag == TAG_PERSO {
            // Perso data is bound to the card: `<own serial>|<perso number>`.
            let bound = data.strip_prefix(self.serial.as_bytes()).and_then(|rest| rest.strip_prefix(b"|")).is_some_and(|number| !number.is_empty());
            if !bound {
                return SW_WRONG_DATA;
            }
        }
        self.fields.insert(tag, data.to_vec());
        self.write_count += 1;
        SW_OK
    }

    fn lock(&mut self, p1: u8, p2: u8, data: &[u8]) -> u16 {
        if (p1, p2) != (0, 0) {
            return SW_WRONG_P1P2;
        }
        if !data.is_empty() {
            return SW_WRONG_LENGTH;
        }
        if self.locked {
            self.refused_after_lock += 1;
            return SW_NOT_ALLOWED;
        }
        if !DATA_TAGS.iter().all(|t| self.fields.contains_key(t)) {
            return SW_NOT_ALLOWED;
        }
        self.locked = true;
        self.lock_count += 1;
        SW_OK
    }
}

#[derive(Debug, Default)]
struct Stacks {
    input: VecDeque<VirtualSam>,
    output: Vec<VirtualSam>,
}

/// The feeder's input queue and output stacker, shared by every slot fed
/// from it. Cloning gives another handle to the same hopper.
#[derive(Debug, Clone, Default)]
pub struct Hopper {
    inner: Arc<Mutex<Stacks>>,
}

impl Hopper {
    /// A hopper holding `cards` in feed order.
    #[must_use]
    pub fn new(cards: impl IntoIterator<Item = VirtualSam>) -> Self {
        let stacks = Stacks { input: cards.into_iter().collect(), output: Vec::new() };
        Self { inner: Arc::new(Mutex::new(stacks)) }
    }

    fn stacks(&self) -> MutexGuard<'_, Stacks> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a card at the end of the feed.
    pub fn push(&self, card: VirtualSam) {
        self.stacks().input.push_back(card);
    }

    /// Cards not yet fed into a slot.
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.stacks().input.len()
    }

    /// Copies of the cards that left their slot, in the order they left.
    #[must_use]
    pub fn output(&self) -> Vec<VirtualSam> {
        self.stacks().output.clone()
    }

    /// Copies of the output cards with this serial.
    #[must_use]
    pub fn output_of(&self, serial: &str) -> Vec<VirtualSam> {
        self.stacks().output.iter().filter(|c| c.serial == serial).cloned().collect()
    }

    fn feed(&self) -> Option<VirtualSam> {
        self.stacks().input.pop_front()
    }

    fn stack(&self, card: VirtualSam) {
        self.stacks().output.push(card);
    }
}

/// What a card does with a command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Response data + SW1 SW2.
    Data(Vec<u8>),
    /// The card disappeared without answering; the slot is empty now.
    Vanish,
    /// The card will not answer for this long and then disappears; the slot
    /// is empty now.
    Freeze(Duration),
}

/// One reader slot of a feeder: the card in it (if any), the hopper it takes
/// cards from and a delay added to every APDU.
///
/// Dropping a slot puts a card still in it onto the output stacker (neither
/// ejected nor vanished), so every card can be inspected afterwards.
#[derive(Debug)]
pub struct Slot {
    hopper: Hopper,
    delay: Duration,
    card: RefCell<Option<VirtualSam>>,
}

impl Slot {
    #[must_use]
    pub const fn new(hopper: Hopper, delay: Duration) -> Self {
        Self { hopper, delay, card: RefCell::new(None) }
    }

    /// Whether a card is in the slot; an empty slot first takes the next
    /// card from the hopper.
    #[must_use]
    pub fn has_card(&self) -> bool {
        let mut card = self.card.borrow_mut();
        if card.is_none() {
            *card = self.hopper.feed();
        }
        card.is_some()
    }

    /// The ATR of the card in the slot; empty when there is none.
    #[must_use]
    pub fn atr(&self) -> Vec<u8> {
        if self.card.borrow().is_none() {
            return Vec::new();
        }
        sam_atr()
    }

    pub fn power_on(&mut self) {
        if let Some(card) = self.card.get_mut() {
            card.deselect();
        }
    }

    /// A card told to eject leaves for the output stacker and the next hopper
    /// card comes in (or the slot stays empty).
    pub fn power_off(&mut self) {
        let slot = self.card.get_mut();
        match slot {
            Some(card) if card.ejected => {
                if let Some(out) = slot.take() {
                    self.hopper.stack(out);
                }
                *slot = self.hopper.feed();
            }
            Some(card) => card.deselect(),
            None => {}
        }
    }

    pub fn reset(&mut self) {
        if let Some(card) = self.card.get_mut() {
            card.deselect();
        }
    }

    /// Runs one command APDU after the slot's delay. Feeder commands (class
    /// `FF`) are answered by the slot; faults of the card apply first.
    pub fn apdu(&mut self, cmd: &[u8]) -> Answer {
        std::thread::sleep(self.delay);
        let slot = self.card.get_mut();
        let Some(card) = slot.as_mut() else {
            return Answer::Vanish;
        };
        card.apdus += 1;
        let fault = card.faults.iter().find(|f| f.at_apdu == card.apdus).map(|f| f.kind);
        let answer = match fault {
            Some(FaultKind::Sw(sw)) => return Answer::Data(sw.to_be_bytes().to_vec()),
            Some(FaultKind::Vanish) => Answer::Vanish,
            Some(FaultKind::Freeze(d)) => Answer::Freeze(d),
            None if cmd.first() == Some(&0xFF) => {
                let sw = if cmd == EJECT {
                    card.ejected = true;
                    SW_OK
                } else {
                    SW_UNKNOWN_INS
                };
                return Answer::Data(sw.to_be_bytes().to_vec());
            }
            None => return Answer::Data(card.process(cmd)),
        };
        if let Some(mut gone) = slot.take() {
            gone.vanished = true;
            self.hopper.stack(gone);
        }
        answer
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(card) = self.card.get_mut().take() {
            self.hopper.stack(card);
        }
    }
}

/// ATR of the test SAM: T=0 and T=1, historical bytes `SIFILMA`, with TCK.
#[must_use]
pub fn sam_atr() -> Vec<u8> {
    const HISTORICAL: &[u8] = b"SIFILMA";
    #[allow(clippy::cast_possible_truncation)] // 7 historical bytes
    let t0 = 0x80 | HISTORICAL.len() as u8;
    let mut atr = vec![0x3B, t0, 0x80, 0x01];
    atr.extend_from_slice(HISTORICAL);
    let tck = atr[1..].iter().fold(0, |acc, b| acc ^ b);
    atr.push(tck);
    atr
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::profile::{Profile, Response};
    use crate::station::protocol::BatchCard;

    fn run(sam: &mut VirtualSam, apdu: &[u8]) -> Response {
        Response::parse(&sam.process(apdu)).unwrap()
    }

    fn batch_card(serial: &str) -> BatchCard {
        BatchCard { card: 1, serial: serial.into(), perso_number: "P1".into(), pcid: "PC1".into(), manifest: "M1".into() }
    }

    #[test]
    fn default_profile_personalizes_the_card() {
        let s = Profile::default().compile().unwrap();
        let card = batch_card("S1");
        let mut sam = VirtualSam::new("S1");
        assert_eq!(run(&mut sam, &s.read_serial.apdu(&[]).unwrap()).sw, SW_NOT_ALLOWED);
        assert_eq!(run(&mut sam, &s.select.apdu(&[]).unwrap()).sw, SW_OK);
        let serial = run(&mut sam, &s.read_serial.apdu(&[]).unwrap());
        assert_eq!(serial.data, b"S1");
        let state = run(&mut sam, &s.read_state.apdu(&[]).unwrap());
        assert!(!s.is_locked(&state.data));
        assert_eq!(run(&mut sam, &s.lock.apdu(&[]).unwrap()).sw, SW_NOT_ALLOWED, "lock needs every field");
        for f in &s.fields {
            assert_eq!(run(&mut sam, &f.write.apdu(&f.value_for(&card)).unwrap()).sw, SW_OK);
        }
        assert_eq!(run(&mut sam, &s.lock.apdu(&[]).unwrap()).sw, SW_OK);
        for f in &s.fields {
            let back = run(&mut sam, &f.read.apdu(&[]).unwrap());
            assert_eq!((back.sw, back.data), (SW_OK, f.value_for(&card)));
            assert_eq!(run(&mut sam, &f.write.apdu(b"S1|X").unwrap()).sw, SW_NOT_ALLOWED);
        }
        assert!(s.is_locked(&run(&mut sam, &s.read_state.apdu(&[]).unwrap()).data));
        assert_eq!(run(&mut sam, &s.lock.apdu(&[]).unwrap()).sw, SW_NOT_ALLOWED);
        assert_eq!((sam.write_count, sam.lock_count, sam.refused_after_lock), (3, 1, 4));
        assert_eq!(sam.field(TAG_PERSO).as_deref(), Some("S1|P1"));
        assert_eq!(s.eject.apdu(&[]).unwrap(), EJECT);
    }

    #[test]
    fn refuses_bad_commands() {
        let mut sam = VirtualSam::new("S1");
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x08];
        select.extend_from_slice(&[0xA0, 0, 0, 9, 0x99, 0, 0, 0]);
        assert_eq!(run(&mut sam, &select).sw, SW_NOT_FOUND);
        select.truncate(5);
        select.extend_from_slice(&AID);
        assert_eq!(run(&mut sam, &select).sw, SW_OK);
        assert_eq!(run(&mut sam, &[0x80, 0xDA, 0x00, TAG_PERSO, 0x05, b'S', b'2', b'|', b'P', b'1']).sw, SW_WRONG_DATA);
        assert_eq!(run(&mut sam, &[0x80, 0xDA, 0x00, TAG_PERSO, 0x03, b'S', b'1', b'|']).sw, SW_WRONG_DATA);
        assert_eq!(run(&mut sam, &[0x80, 0xDA, 0x00, TAG_PCID, 0x05, b'A']).sw, SW_WRONG_LENGTH);
        let mut long = vec![0x80, 0xDA, 0x00, TAG_PCID, 65];
        long.extend_from_slice(&[b'A'; 65]);
        assert_eq!(run(&mut sam, &long).sw, SW_WRONG_LENGTH);
        assert_eq!(run(&mut sam, &[0x80, 0xDA, 0x00, 0x33, 0x01, b'A']).sw, SW_WRONG_P1P2);
        assert_eq!(run(&mut sam, &[0x80, 0xCA, 0x00, TAG_PCID, 0x00]).sw, SW_NO_DATA);
        assert_eq!(run(&mut sam, &[0x80, 0x12, 0x00, 0x00]).sw, SW_UNKNOWN_INS);
        assert_eq!(run(&mut sam, &[0x90, 0x12, 0x00, 0x00]).sw, SW_UNKNOWN_CLA);
        assert_eq!(run(&mut sam, &[0x80, 0xCA]).sw, SW_WRONG_LENGTH);
        assert_eq!(sam.write_count, 0);
    }

    #[test]
    fn slot_feeds_ejects_and_faults() {
        let hopper = Hopper::new([
            VirtualSam::new("A"),
            VirtualSam::new("B").with_fault(2, FaultKind::Sw(0x6F00)).with_fault(3, FaultKind::Vanish),
            VirtualSam::new("C").with_fault(1, FaultKind::Freeze(Duration::from_millis(5))),
        ]);
        let mut slot = Slot::new(hopper.clone(), Duration::ZERO);
        assert!(slot.atr().is_empty());
        assert!(slot.has_card());
        assert_eq!(slot.atr(), sam_atr());
        assert_eq!(hopper.waiting(), 2);
        slot.power_on();
        // Not ejected: the same card stays after a power cycle.
        slot.power_off();
        assert_eq!(slot.apdu(&EJECT), Answer::Data(vec![0x90, 0x00]));
        assert_eq!(slot.apdu(&[0xFF, 0x01, 0, 0]), Answer::Data(vec![0x6D, 0x00]));
        slot.power_off();
        assert_eq!(hopper.output().len(), 1);
        assert!(hopper.output()[0].ejected);
        assert!(slot.has_card());
        assert!(matches!(slot.apdu(&EJECT), Answer::Data(d) if d == [0x90, 0x00]));
        assert_eq!(slot.apdu(&EJECT), Answer::Data(vec![0x6F, 0x00]));
        assert_eq!(slot.apdu(&EJECT), Answer::Vanish);
        assert_eq!(slot.apdu(&EJECT), Answer::Vanish, "an empty slot does not answer");
        let b = hopper.output_of("B").remove(0);
        assert!(b.vanished && b.ejected);
        assert_eq!(b.apdus, 3);
        assert!(slot.has_card());
        assert_eq!(slot.apdu(&EJECT), Answer::Freeze(Duration::from_millis(5)));
        assert!(!slot.has_card());
        assert!(hopper.output_of("C")[0].vanished);
    }

    #[test]
    fn dropping_a_slot_keeps_its_card_visible() {
        let hopper = Hopper::new([VirtualSam::new("A")]);
        let slot = Slot::new(hopper.clone(), Duration::ZERO);
        assert!(slot.has_card());
        drop(slot);
        let out = hopper.output();
        assert_eq!(out.len(), 1);
        assert!(!out[0].ejected && !out[0].vanished);
    }

    #[test]
    fn atr_has_a_valid_check_byte() {
        let atr = sam_atr();
        assert_eq!(atr[0], 0x3B);
        assert_eq!(atr[1..].iter().fold(0, |acc, b| acc ^ b), 0);
    }

    #[test]
    fn slot_is_send() {
        fn send<T: Send>() {}
        send::<Slot>();
        send::<Hopper>();
    }
}
