//! The personalization profile: the APDU script a station runs on each card.
//!
//! A [`Profile`] lives in configuration and travels inside every batch. Its
//! order of work is fixed (select, read serial, read lock state, write every
//! field, lock, read every field back, eject); the profile only says which
//! bytes each step sends and which status word it expects. [`Profile::compile`]
//! checks the whole script once and gives the [`Script`] the agent runs.
//!
//! APDU templates are hex bytes (spaces allowed) with two placeholders:
//! `{lc}` is the length of the data as one byte, `{data}` the data itself.
//! Only write steps carry data. Field values are text templates over the
//! batch card: `{serial}`, `{perso_number}`, `{pcid}`, `{manifest}`.
use serde::{Deserialize, Serialize};

use super::protocol::BatchCard;

/// Status word a step expects unless it names another.
pub const DEFAULT_SW: &str = "9000";

fn default_sw() -> String {
    DEFAULT_SW.to_string()
}

/// The APDU script of a station. `Default` is the script of the virtual test
/// SAM ([`super::vsam`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Shown in the station log.
    pub name: String,
    /// Selects the SAM application.
    pub select: Step,
    /// Answers the card serial in ASCII.
    pub read_serial: Step,
    /// Answers the lock state.
    pub read_state: Step,
    /// Hex of the `read_state` answer that means "locked"; any other answer
    /// means unlocked.
    pub locked_state: String,
    /// Written in this order, then locked, then read back in this order.
    pub fields: Vec<Field>,
    pub lock: Step,
    /// Command of the feeder machine: the card leaves the slot at the next
    /// power cycle.
    pub eject: Step,
}

/// One command of the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Short name shown to the operator in failure reasons.
    pub name: String,
    /// Hex template of the command APDU.
    pub apdu: String,
    /// Expected status word, four hex digits.
    #[serde(default = "default_sw")]
    pub sw: String,
}

/// One data field written to the card and verified by read-back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Name shown in "verify mismatch" reasons (e.g. `PCID`).
    pub name: String,
    /// Text template of the value written to the card.
    pub value: String,
    /// Must contain `{data}`.
    pub write: Step,
    /// Answers exactly the value written.
    pub read: Step,
}

impl Step {
    fn new(name: &str, apdu: &str) -> Self {
        Self { name: name.into(), apdu: apdu.into(), sw: default_sw() }
    }
}

impl Default for Profile {
    fn default() -> Self {
        let field = |name: &str, value: &str, tag: &str| Field {
            name: name.into(),
            value: value.into(),
            write: Step::new(&format!("tulis {name}"), &format!("80 DA 00 {tag} {{lc}} {{data}}")),
            read: Step::new(&format!("baca ulang {name}"), &format!("80 CA 00 {tag} 00")),
        };
        Self {
            name: "SAM uji SI-FILMA v1".into(),
            select: Step::new("pilih aplikasi", "00 A4 04 00 08 A0 00 00 09 99 53 41 4D"),
            read_serial: Step::new("baca nomor seri", "80 CA 00 01 00"),
            read_state: Step::new("baca status kunci", "80 CA 00 02 00"),
            locked_state: "01".into(),
            fields: vec![field("data perso", "{serial}|{perso_number}", "10"), field("PCID", "{pcid}", "11"), field("nomor manifest", "{manifest}", "12")],
            lock: Step::new("kunci kartu", "80 E8 00 00"),
            eject: Step::new("keluarkan kartu", "FF EE 00 00"),
        }
    }
}

/// A profile that cannot be run, or data that does not fit a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("profil APDU tidak valid pada langkah \"{step}\": {problem}")]
    Invalid { step: String, problem: String },
    #[error("data untuk langkah \"{step}\" terlalu panjang ({len} byte, maksimal 255)")]
    DataTooLong { step: String, len: usize },
}

fn invalid(step: &str, problem: &str) -> ProfileError {
    ProfileError::Invalid { step: step.into(), problem: problem.into() }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Bytes(Vec<u8>),
    Lc,
    Data,
}

/// A checked step: builds its APDU and judges the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub sw: u16,
    parts: Vec<Part>,
}

impl Command {
    fn compile(step: &Step, with_data: bool) -> Result<Self, ProfileError> {
        let name = step.name.as_str();
        let sw = parse_sw(&step.sw).ok_or_else(|| invalid(name, "status word harus 4 digit heksadesimal"))?;
        let mut parts = Vec::new();
        let mut bytes = Vec::new();
        let mut nibble: Option<u8> = None;
        let mut chars = step.apdu.chars();
        while let Some(c) = chars.next() {
            if c.is_whitespace() {
                continue;
            }
            if c == '{' {
                if nibble.is_some() {
                    return Err(invalid(name, "jumlah digit heksadesimal ganjil"));
                }
                let placeholder: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let part = match placeholder.as_str() {
                    "lc" => Part::Lc,
                    "data" => Part::Data,
                    _ => return Err(invalid(name, &format!("placeholder {{{placeholder}}} tidak dikenal"))),
                };
                if !bytes.is_empty() {
                    parts.push(Part::Bytes(std::mem::take(&mut bytes)));
                }
                parts.push(part);
                continue;
            }
            let digit = c.to_digit(16).ok_or_else(|| invalid(name, &format!("karakter '{c}' bukan heksadesimal")))?;
            #[allow(clippy::cast_possible_truncation)] // a hex digit is below 16
            let digit = digit as u8;
            nibble = match nibble {
                None => Some(digit),
                Some(high) => {
                    bytes.push(high << 4 | digit);
                    None
                }
            };
        }
        if nibble.is_some() {
            return Err(invalid(name, "jumlah digit heksadesimal ganjil"));
        }
        if !bytes.is_empty() {
            parts.push(Part::Bytes(bytes));
        }
        let header = match parts.first() {
            Some(Part::Bytes(b)) => b.len(),
            _ => 0,
        };
        if header < 4 {
            return Err(invalid(name, "APDU harus diawali 4 byte header (CLA INS P1 P2)"));
        }
        let has_data = parts.contains(&Part::Data);
        if with_data && !has_data {
            return Err(invalid(name, "langkah tulis harus memuat {data}"));
        }
        if !with_data && (has_data || parts.contains(&Part::Lc)) {
            return Err(invalid(name, "langkah ini tidak membawa data ({lc}/{data} tidak boleh dipakai)"));
        }
        Ok(Self { name: step.name.clone(), sw, parts })
    }

    /// The command APDU with `data` in place of `{data}` (ignored by steps
    /// without data).
    ///
    /// # Errors
    /// `DataTooLong` when `data` does not fit a one-byte length.
    pub fn apdu(&self, data: &[u8]) -> Result<Vec<u8>, ProfileError> {
        let lc = u8::try_from(data.len()).map_err(|_| ProfileError::DataTooLong { step: self.name.clone(), len: data.len() })?;
        let mut out = Vec::with_capacity(8 + data.len());
        for part in &self.parts {
            match part {
                Part::Bytes(b) => out.extend_from_slice(b),
                Part::Lc => out.push(lc),
                Part::Data => out.extend_from_slice(data),
            }
        }
        Ok(out)
    }

    #[must_use]
    pub const fn accepts(&self, sw: u16) -> bool {
        self.sw == sw
    }
}

/// A checked field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldScript {
    pub name: String,
    pub write: Command,
    pub read: Command,
    value: String,
}

impl FieldScript {
    /// The bytes written to (and expected back from) `card`.
    #[must_use]
    pub fn value_for(&self, card: &BatchCard) -> Vec<u8> {
        render(&self.value, card).into_bytes()
    }
}

fn render(template: &str, card: &BatchCard) -> String {
    template.replace("{serial}", &card.serial).replace("{perso_number}", &card.perso_number).replace("{pcid}", &card.pcid).replace("{manifest}", &card.manifest)
}

/// A checked profile, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub select: Command,
    pub read_serial: Command,
    pub read_state: Command,
    pub fields: Vec<FieldScript>,
    pub lock: Command,
    pub eject: Command,
    locked_state: Vec<u8>,
}

impl Script {
    /// Whether a `read_state` answer means the card is locked.
    #[must_use]
    pub fn is_locked(&self, state: &[u8]) -> bool {
        state == self.locked_state.as_slice()
    }

    /// The serial in a `read_serial` answer: printable ASCII, surrounding
    /// spaces ignored; `None` when the answer is not a serial.
    #[must_use]
    pub fn serial(data: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(data).ok()?.trim();
        (!text.is_empty() && text.chars().all(|c| c.is_ascii_graphic())).then(|| text.to_string())
    }
}

impl Profile {
    /// Checks every template and status word.
    ///
    /// # Errors
    /// The first step that cannot be run.
    pub fn compile(&self) -> Result<Script, ProfileError> {
        if self.fields.is_empty() {
            return Err(invalid(&self.name, "profil tanpa field data"));
        }
        let locked_state = hex::decode(self.locked_state.replace(' ', "")).map_err(|_| invalid(&self.read_state.name, "locked_state harus heksadesimal"))?;
        let probe = BatchCard { card: 0, serial: String::new(), perso_number: String::new(), pcid: String::new(), manifest: String::new() };
        let fields = self
            .fields
            .iter()
            .map(|f| {
                let rendered = render(&f.value, &probe);
                if rendered.contains('{') || rendered.contains('}') {
                    return Err(invalid(&f.write.name, "nilai field memuat placeholder yang tidak dikenal"));
                }
                Ok(FieldScript {
                    name: f.name.clone(),
                    write: Command::compile(&f.write, true)?,
                    read: Command::compile(&f.read, false)?,
                    value: f.value.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Script {
            select: Command::compile(&self.select, false)?,
            read_serial: Command::compile(&self.read_serial, false)?,
            read_state: Command::compile(&self.read_state, false)?,
            fields,
            lock: Command::compile(&self.lock, false)?,
            eject: Command::compile(&self.eject, false)?,
            locked_state,
        })
    }
}

fn parse_sw(text: &str) -> Option<u16> {
    let text = text.trim();
    if text.len() != 4 {
        return None;
    }
    u16::from_str_radix(text, 16).ok()
}

/// A status word as the portal shows it, e.g. `6985`.
#[must_use]
pub fn sw_hex(sw: u16) -> String {
    format!("{sw:04X}")
}

/// A response APDU split into data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    /// `None` for an answer shorter than the two status-word bytes.
    #[must_use]
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let split = raw.len().checked_sub(2)?;
        let (data, sw) = raw.split_at(split);
        Some(Self { data: data.to_vec(), sw: u16::from_be_bytes([sw[0], sw[1]]) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> BatchCard {
        BatchCard { card: 7, serial: "SAM0001".into(), perso_number: "P-42".into(), pcid: "PCID9".into(), manifest: "M-1".into() }
    }

    #[test]
    fn default_profile_compiles_to_expected_apdus() {
        let s = Profile::default().compile().unwrap();
        assert_eq!(s.select.apdu(&[]).unwrap(), hex::decode("00A4040008A00000099953414D").unwrap());
        assert_eq!(s.read_serial.apdu(&[]).unwrap(), hex::decode("80CA000100").unwrap());
        assert_eq!(s.lock.apdu(&[]).unwrap(), hex::decode("80E80000").unwrap());
        assert_eq!(s.eject.apdu(&[]).unwrap(), hex::decode("FFEE0000").unwrap());
        let perso = &s.fields[0];
        let value = perso.value_for(&card());
        assert_eq!(value, b"SAM0001|P-42");
        let mut expected = hex::decode("80DA00100C").unwrap();
        expected.extend_from_slice(b"SAM0001|P-42");
        assert_eq!(perso.write.apdu(&value).unwrap(), expected);
        assert_eq!(perso.read.apdu(&[]).unwrap(), hex::decode("80CA001000").unwrap());
        assert!(s.fields.iter().all(|f| f.write.accepts(0x9000) && !f.write.accepts(0x6985)));
    }

    #[test]
    fn profile_roundtrips_through_json_and_fills_defaults() {
        let p = Profile::default();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p);
        let partial: Profile = serde_json::from_str(r#"{"lock":{"name":"kunci","apdu":"80 E8 00 01"}}"#).unwrap();
        assert_eq!(partial.lock.sw, "9000");
        assert_eq!(partial.select, p.select);
    }

    #[test]
    fn bad_templates_are_refused() {
        let with = |f: &dyn Fn(&mut Profile)| {
            let mut p = Profile::default();
            f(&mut p);
            p.compile().unwrap_err()
        };
        assert!(matches!(with(&|p| p.select.apdu = "00 A4 0".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.select.apdu = "00 A4 04 XX".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.lock.apdu = "80 E8".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.lock.sw = "90".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.lock.apdu = "80 E8 00 00 {data}".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.fields[1].write.apdu = "80 DA 00 11".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.fields[1].value = "{pcd}".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.fields[1].write.apdu = "80 DA 00 11 {len} {data}".into()), ProfileError::Invalid { .. }));
        assert!(matches!(with(&|p| p.fields.clear()), ProfileError::Invalid { .. }));
    }

    #[test]
    fn too_long_data_is_refused() {
        let s = Profile::default().compile().unwrap();
        let err = s.fields[0].write.apdu(&[b'x'; 256]).unwrap_err();
        assert_eq!(err, ProfileError::DataTooLong { step: "tulis data perso".into(), len: 256 });
    }

    #[test]
    fn responses_states_and_serials() {
        assert_eq!(Response::parse(&[0x90]), None);
        assert_eq!(Response::parse(&[0x90, 0x00]), Some(Response { data: vec![], sw: 0x9000 }));
        assert_eq!(Response::parse(b"AB\x69\x85"), Some(Response { data: b"AB".to_vec(), sw: 0x6985 }));
        assert_eq!(sw_hex(0x6a80), "6A80");
        let s = Profile::default().compile().unwrap();
        assert!(s.is_locked(&[1]));
        assert!(!s.is_locked(&[0]));
        assert!(!s.is_locked(&[]));
        assert_eq!(Script::serial(b" SAM0001 "), Some("SAM0001".into()));
        assert_eq!(Script::serial(b""), None);
        assert_eq!(Script::serial(b"SA M"), None);
        assert_eq!(Script::serial(&[0xFF, 0x41]), None);
    }
}
