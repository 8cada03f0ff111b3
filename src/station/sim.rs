//! In-memory readers over [`Slot`]s: the portal's simulated station and the
//! agent tests. They behave like PC/SC readers in front of a feeder: a frozen
//! card blocks the calling thread, a vanished card is `Removed`, an empty
//! slot is `NoCard`.
use std::time::{Duration, Instant};

use super::vsam::{Answer, Hopper, Slot};
use super::{Reader, ReaderError};

/// How often `connect` looks into an empty slot.
const POLL: Duration = Duration::from_millis(2);

/// A simulated reader holding one feeder slot.
#[derive(Debug)]
pub struct SimReader {
    name: String,
    slot: Slot,
    connected: bool,
}

impl SimReader {
    #[must_use]
    pub const fn new(name: String, slot: Slot) -> Self {
        Self { name, slot, connected: false }
    }
}

impl Reader for SimReader {
    fn name(&self) -> &str {
        &self.name
    }

    fn connect(&mut self, timeout: Duration) -> Result<bool, ReaderError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.slot.has_card() {
                if !self.connected {
                    self.slot.power_on();
                    self.connected = true;
                }
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            std::thread::sleep(POLL.min(deadline - now));
        }
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        if !self.connected {
            return Err(ReaderError::NoCard);
        }
        match self.slot.apdu(apdu) {
            Answer::Data(data) if data.len() >= 2 => Ok(data),
            Answer::Data(_) => Err(ReaderError::Removed),
            Answer::Vanish => {
                self.connected = false;
                Err(ReaderError::Removed)
            }
            Answer::Freeze(pause) => {
                std::thread::sleep(pause);
                self.connected = false;
                Err(ReaderError::Removed)
            }
        }
    }

    fn next_card(&mut self) -> Result<bool, ReaderError> {
        self.slot.power_off();
        self.connected = self.slot.has_card();
        if self.connected {
            self.slot.power_on();
        }
        Ok(self.connected)
    }

    fn disconnect(&mut self) {
        self.connected = false;
    }
}

/// `n` readers named `SIM 00`, `SIM 01`, ... fed from one hopper, each
/// adding `delay` to every APDU.
#[must_use]
pub fn sim_readers(n: usize, hopper: Hopper, delay: Duration) -> Vec<Box<dyn Reader>> {
    (0..n)
        .map(|i| {
            let slot = Slot::new(hopper.clone(), delay);
            Box::new(SimReader::new(format!("SIM {i:02}"), slot)) as Box<dyn Reader>
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::vsam::{FaultKind, VirtualSam, EJECT};

    #[test]
    fn reader_follows_the_feeder() {
        let hopper = Hopper::new([
            VirtualSam::new("A"),
            VirtualSam::new("B").with_fault(1, FaultKind::Vanish),
            VirtualSam::new("C").with_fault(1, FaultKind::Freeze(Duration::from_millis(30))),
        ]);
        let mut readers = sim_readers(1, hopper.clone(), Duration::ZERO);
        let r = &mut readers[0];
        assert_eq!(r.name(), "SIM 00");
        assert_eq!(r.transmit(&EJECT), Err(ReaderError::NoCard));
        assert_eq!(r.connect(Duration::ZERO), Ok(true));
        assert_eq!(r.transmit(&EJECT), Ok(vec![0x90, 0x00]));
        assert_eq!(r.next_card(), Ok(true));
        assert_eq!(r.transmit(&EJECT), Err(ReaderError::Removed));
        assert_eq!(r.transmit(&EJECT), Err(ReaderError::NoCard));
        assert_eq!(r.next_card(), Ok(true));
        let started = Instant::now();
        assert_eq!(r.transmit(&EJECT), Err(ReaderError::Removed));
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert_eq!(r.next_card(), Ok(false));
        let started = Instant::now();
        assert_eq!(r.connect(Duration::from_millis(20)), Ok(false));
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert_eq!(hopper.output().len(), 3);
    }

    #[test]
    fn readers_are_named_in_order() {
        let names: Vec<String> = sim_readers(3, Hopper::default(), Duration::ZERO).iter().map(|r| r.name().to_string()).collect();
        assert_eq!(names, ["SIM 00", "SIM 01", "SIM 02"]);
    }
}
