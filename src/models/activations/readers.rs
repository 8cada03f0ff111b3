//! The list of readers of a Permohonan Aktivasi, checked line by line
//! before anything is stored. Only known serials are ever activated: each
//! SAM must be one the portal personalized **Clear**, with that Nomor
//! Perso, handed over (BAST, received) to the institution the readers are
//! for, for the machine type on its BAST line, and free of any live
//! activation; no SAM or reader S/N twice in one list.
//!
//! Rules:
//! - Every line gets every message that applies to it, in Indonesian, as
//!   `Baris N: …`; one bad line refuses the whole list.
//! - Lookups go in a few batched queries per 1,000 lines, never one query
//!   per line (5,000 lines ≤ 1 s, `benches/activations.rs`).
//! - A SAM of another institution is "not handed over to this institution":
//!   the message never names whose it is.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::models::{
    _entities::{activation_readers, cards, machine_types, personalization_requests as requests, submissions},
    errors::AppResult,
    submissions::card_list::{normalize_serial, RowError},
};

/// Lines per list at most.
pub const MAX_READERS: usize = 5_000;
/// Lines looked up per batch of queries.
const CHUNK: usize = 1_000;

/// One line as typed or imported.
#[derive(Debug, Clone, Default)]
pub struct ReaderInput {
    /// Where it came from: the form's line or the Excel row.
    pub row: usize,
    /// Jenis Card Reader: a machine type's name.
    pub reader_type: String,
    /// S/N CR.
    pub reader_serial: String,
    /// No. Seri Kartu SAM (asal).
    pub sam_serial: String,
    /// Nomor Perso (SAM hasil perso).
    pub perso_number: String,
    pub province: String,
    pub city: String,
    pub note: String,
}

/// A line that passed every check, with what the checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReader {
    pub row: usize,
    pub machine_type_id: i32,
    pub reader_serial: String,
    pub sam_serial: String,
    pub perso_number: String,
    pub card_id: i32,
    pub province: String,
    pub city: String,
    pub note: Option<String>,
}

/// The facts about one SAM serial that the checks need.
#[derive(Debug, Clone)]
struct Sam {
    card_id: i32,
    clear: bool,
    status_label: &'static str,
    perso_number: Option<String>,
    organisation_id: i32,
    received: bool,
    machine_type_id: i32,
}

impl Sam {
    /// Among several cards of one serial (listed again after a rejected
    /// submission), the one furthest along for `institution`.
    fn rank(&self, institution: i32) -> (bool, bool, bool, i32) {
        (self.organisation_id == institution, self.received, self.clear, self.card_id)
    }
}

fn text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks `lines` for readers of `institution`.
///
/// # Errors
/// `Ok(Err(rows))` with every line's problems when any line fails;
/// `Err` on database failure.
pub async fn check<C: ConnectionTrait>(db: &C, institution: i32, lines: &[ReaderInput]) -> AppResult<Result<Vec<CheckedReader>, Vec<RowError>>> {
    check_except(db, institution, lines, None).await
}

/// [`check`] for a filing by `user`, before anything is stored.
///
/// # Errors
/// `NotFound` when `user` may not file for `institution` (nothing about
/// its cards is told); as [`check`] otherwise.
pub async fn check_for(
    db: &sea_orm::DatabaseConnection,
    user: &crate::models::_entities::users::Model,
    institution: i32,
    lines: &[ReaderInput],
) -> AppResult<Result<Vec<CheckedReader>, Vec<RowError>>> {
    if !super::list::institutions_for(db, user).await?.iter().any(|o| o.id == institution) {
        return Err(crate::models::errors::AppError::NotFound);
    }
    check(db, institution, lines).await
}

/// [`check`], where a SAM or reader S/N bound by the lines of request
/// `except` (the request being edited) is free.
///
/// # Errors
/// As [`check`].
pub async fn check_except<C: ConnectionTrait>(
    db: &C,
    institution: i32,
    lines: &[ReaderInput],
    except: Option<i32>,
) -> AppResult<Result<Vec<CheckedReader>, Vec<RowError>>> {
    if lines.is_empty() {
        return Ok(Err(vec![RowError { row: None, message: "Daftar card reader kosong: isi minimal satu card reader.".into() }]));
    }
    if lines.len() > MAX_READERS {
        return Ok(Err(vec![RowError {
            row: None,
            message: format!("Daftar card reader berisi {} baris; paling banyak {MAX_READERS} baris per permohonan.", lines.len()),
        }]));
    }
    let types: HashMap<String, (i32, String)> = machine_types::Entity::find()
        .filter(machine_types::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (text(&m.name).to_lowercase(), (m.id, m.name)))
        .collect();
    let type_names: HashMap<i32, String> = types.values().cloned().collect();

    // First the line itself: fields, serial format, duplicates in the list.
    let mut errors: Vec<RowError> = Vec::new();
    let mut say = |row: usize, message: String| errors.push(RowError { row: Some(row), message });
    let mut first_sam: HashMap<String, usize> = HashMap::new();
    let mut first_reader: HashMap<String, usize> = HashMap::new();
    let mut parsed = Vec::with_capacity(lines.len());
    for line in lines {
        let row = line.row;
        let machine = types.get(&text(&line.reader_type).to_lowercase()).map(|(id, _)| *id);
        if line.reader_type.trim().is_empty() {
            say(row, "Jenis Card Reader wajib diisi.".into());
        } else if machine.is_none() {
            say(row, format!("Jenis Card Reader \"{}\" tidak ada di Master Data Jenis Mesin.", text(&line.reader_type).chars().take(60).collect::<String>()));
        }
        let reader = text(&line.reader_serial).to_uppercase();
        if reader.is_empty() {
            say(row, "S/N CR wajib diisi.".into());
        } else if reader.chars().count() > 100 {
            say(row, "S/N CR paling panjang 100 karakter.".into());
        } else if let Some(first) = first_reader.get(&reader) {
            say(row, format!("S/N CR {reader} tercantum dua kali (juga di baris {first})."));
        } else {
            first_reader.insert(reader.clone(), row);
        }
        let sam = match normalize_serial(&line.sam_serial) {
            Ok(sam) => {
                if let Some(first) = first_sam.get(&sam) {
                    say(row, format!("Kartu SAM {sam} tercantum dua kali (juga di baris {first})."));
                } else {
                    first_sam.insert(sam.clone(), row);
                }
                Some(sam)
            }
            Err(message) => {
                say(row, message);
                None
            }
        };
        let perso = text(&line.perso_number);
        if perso.is_empty() {
            say(row, "Nomor Perso wajib diisi.".into());
        }
        let (province, city) = (text(&line.province), text(&line.city));
        if province.is_empty() || city.is_empty() {
            say(row, "Wilayah penggunaan (provinsi dan kabupaten/kota) wajib diisi.".into());
        } else if province.chars().count() > 100 || city.chars().count() > 100 {
            say(row, "Nama provinsi atau kabupaten/kota paling panjang 100 karakter.".into());
        }
        let note = text(&line.note);
        if note.chars().count() > 500 {
            say(row, "Keterangan paling panjang 500 karakter.".into());
        }
        parsed.push((row, machine, reader, sam, perso, province, city, note));
    }

    // Then what the database knows, in batches.
    let serials: Vec<String> = parsed.iter().filter_map(|p| p.3.clone()).collect();
    let readers: Vec<String> = parsed.iter().map(|p| p.2.clone()).filter(|r| !r.is_empty()).collect();
    let mut sams: HashMap<String, Sam> = HashMap::new();
    let mut bound_sams = std::collections::HashSet::new();
    let mut bound_readers = std::collections::HashSet::new();
    for chunk in serials.chunks(CHUNK) {
        let found = cards::Entity::find().filter(cards::Column::Serial.is_in(chunk.iter().cloned())).all(db).await?;
        let request_ids: Vec<i32> = found.iter().map(|c| c.request_id).collect();
        let submission_ids: Vec<i32> = found.iter().map(|c| c.submission_id).collect();
        let reqs: HashMap<i32, requests::Model> =
            requests::Entity::find().filter(requests::Column::Id.is_in(request_ids)).all(db).await?.into_iter().map(|r| (r.id, r)).collect();
        let subs: HashMap<i32, submissions::Model> =
            submissions::Entity::find().filter(submissions::Column::Id.is_in(submission_ids)).all(db).await?.into_iter().map(|s| (s.id, s)).collect();
        for card in found {
            let (Some(req), Some(sub)) = (reqs.get(&card.request_id), subs.get(&card.submission_id)) else { continue };
            let candidate = Sam {
                card_id: card.id,
                clear: card.status == crate::models::cards::Status::Clear,
                status_label: card.status.label(),
                perso_number: card.perso_number.clone(),
                organisation_id: req.organisation_id,
                received: req.status == crate::models::requests::Status::Received && sub.status == crate::models::submissions::Status::Received,
                machine_type_id: req.machine_type_id,
            };
            let better = sams.get(&card.serial).is_none_or(|known| candidate.rank(institution) > known.rank(institution));
            if better {
                sams.insert(card.serial.clone(), candidate);
            }
        }
        let mut live = activation_readers::Entity::find().filter(activation_readers::Column::LiveSam.is_in(chunk.iter().cloned()));
        if let Some(own) = except {
            live = live.filter(activation_readers::Column::RequestId.ne(own));
        }
        for live in live.all(db).await? {
            bound_sams.extend(live.live_sam);
        }
    }
    for chunk in readers.chunks(CHUNK) {
        let mut live = activation_readers::Entity::find().filter(activation_readers::Column::LiveReader.is_in(chunk.iter().cloned()));
        if let Some(own) = except {
            live = live.filter(activation_readers::Column::RequestId.ne(own));
        }
        for live in live.all(db).await? {
            bound_readers.extend(live.live_reader);
        }
    }

    let mut checked = Vec::with_capacity(parsed.len());
    for (row, machine, reader, sam, perso, province, city, note) in parsed {
        if bound_readers.contains(&reader) {
            say(row, format!("S/N CR {reader} sudah terikat pada aktivasi lain yang masih berlaku."));
        }
        let Some(serial) = sam else { continue };
        let Some(found) = sams.get(&serial) else {
            say(row, format!("Kartu SAM {serial} tidak dikenal di SI-FILMA: hanya kartu yang dipersonalisasi di sini dapat diaktivasi."));
            continue;
        };
        if found.organisation_id != institution {
            say(row, format!("Kartu SAM {serial} tidak diserahterimakan kepada lembaga ini."));
            continue;
        }
        if !found.clear {
            say(row, format!("Kartu SAM {serial} belum dipersonalisasi Clear (status: {}).", found.status_label));
        } else if !found.received {
            say(row, format!("Kartu SAM {serial} belum diterima lembaga ini melalui BAST."));
        }
        if !perso.is_empty() && found.perso_number.as_deref() != Some(perso.as_str()) {
            say(row, format!("Nomor Perso {perso} bukan milik kartu SAM {serial}."));
        }
        if machine.is_some_and(|m| m != found.machine_type_id) {
            let bast = type_names.get(&found.machine_type_id).map_or("jenis lain", String::as_str);
            say(row, format!("Jenis Card Reader tidak sesuai: kartu SAM {serial} diserahkan untuk {bast}."));
        }
        if bound_sams.contains(&serial) {
            say(row, format!("Kartu SAM {serial} sudah terikat pada aktivasi lain yang masih berlaku."));
        }
        if let Some(machine_type_id) = machine {
            checked.push(CheckedReader {
                row,
                machine_type_id,
                reader_serial: reader,
                sam_serial: serial,
                perso_number: perso,
                card_id: found.card_id,
                province,
                city,
                note: (!note.is_empty()).then_some(note),
            });
        }
    }
    if errors.is_empty() {
        Ok(Ok(checked))
    } else {
        errors.sort_by_key(|e| e.row);
        Ok(Err(errors))
    }
}

/// Stores `checked` as the pending lines of request `request`, binding
/// their SAMs and reader S/Ns.
///
/// # Errors
/// `Conflict` when a concurrent filing took one of the SAMs or readers
/// (the unique `live_*` indexes).
pub async fn insert<C: ConnectionTrait>(db: &C, request: i32, checked: &[CheckedReader], now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    use sea_orm::{ActiveValue::Set, SqlErr};
    let rows: Vec<activation_readers::ActiveModel> = checked
        .iter()
        .map(|c| activation_readers::ActiveModel {
            request_id: Set(request),
            row_no: Set(i32::try_from(c.row).unwrap_or(i32::MAX)),
            machine_type_id: Set(c.machine_type_id),
            reader_serial: Set(c.reader_serial.clone()),
            sam_serial: Set(c.sam_serial.clone()),
            perso_number: Set(c.perso_number.clone()),
            card_id: Set(c.card_id),
            province: Set(c.province.clone()),
            city: Set(c.city.clone()),
            note: Set(c.note.clone()),
            status: Set(super::ReaderStatus::Pending.as_str().into()),
            live_sam: Set(Some(c.sam_serial.clone())),
            live_reader: Set(Some(c.reader_serial.clone())),
            created_at: Set(now.into()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        if let Err(err) = activation_readers::Entity::insert_many(chunk.to_vec()).exec(db).await {
            if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                return Err(crate::models::errors::AppError::Conflict(
                    "Sebagian kartu SAM atau card reader baru saja diajukan dalam permohonan lain. Periksa daftar Anda lalu ajukan lagi.".into(),
                ));
            }
            return Err(err.into());
        }
    }
    Ok(())
}
