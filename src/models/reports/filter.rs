//! The recap's filters: every query-string value parsed once into a bounded
//! type. A wrong value never fails the page: it gets an Indonesian message
//! on its field and the filter falls back (the default period, or no
//! filter), so the page still shows figures.
use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::Viewer;
use crate::{
    locale,
    models::{
        _entities::{machine_types, organisations, stations},
        errors::{AppResult, FieldErrors},
        requests::Status as RequestStatus,
        roles::OrgKind,
    },
};

/// Years a report may cover: before 2000 and after 2100 is a typo.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// The longest date range, in years: more is a typo, not a report.
pub const MAX_RANGE_YEARS: u32 = 10;

/// The query string as typed; only [`Query::parse`] reads it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Query {
    pub period: String,
    pub month: String,
    pub quarter: String,
    pub year: String,
    pub from: String,
    pub to: String,
    pub basis: String,
    pub producer: String,
    pub institution: String,
    pub machine: String,
    pub station: String,
    pub status: String,
    /// The readers' province (Sistem Aktivasi only).
    pub province: String,
}

/// How the period is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
    Range,
}

impl PeriodKind {
    pub const ALL: [Self; 4] = [Self::Month, Self::Quarter, Self::Year, Self::Range];

    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Month => "bulan",
            Self::Quarter => "triwulan",
            Self::Year => "tahun",
            Self::Range => "rentang",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Month => "Bulan",
            Self::Quarter => "Triwulan",
            Self::Year => "Tahun",
            Self::Range => "Rentang tanggal",
        }
    }
}

/// Which date of a request line's chain the period applies to: the
/// request's own date, or the date its submission reached a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    Requested,
    Submitted,
    Accepted,
    Personalized,
    HandedOver,
}

impl Basis {
    pub const ALL: [Self; 5] = [Self::Requested, Self::Submitted, Self::Accepted, Self::Personalized, Self::HandedOver];

    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Requested => "permintaan",
            Self::Submitted => "pengajuan",
            Self::Accepted => "diterima",
            Self::Personalized => "selesai",
            Self::HandedOver => "serah-terima",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Requested => "Tgl Permintaan",
            Self::Submitted => "Tgl Pengajuan",
            Self::Accepted => "Tgl Diterima Dukcapil",
            Self::Personalized => "Tgl Selesai Personalisasi",
            Self::HandedOver => "Tgl Serah Terima",
        }
    }
}

/// A valid filter: the period is `from..=to` (dates in WIB), at most
/// [`MAX_RANGE_YEARS`] long; ids are ones the viewer may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub basis: Basis,
    pub producer: Option<i32>,
    pub institution: Option<i32>,
    pub machine: Option<i32>,
    pub station: Option<i32>,
    pub status: Option<RequestStatus>,
    /// The readers' province as offered in [`Choices::provinces`]
    /// (Sistem Aktivasi only).
    pub province: Option<String>,
}

impl Filter {
    /// The month of `day`, by request date, nothing else narrowed.
    #[must_use]
    pub fn month_of(day: NaiveDate) -> Self {
        let from = day.with_day(1).unwrap_or(day);
        Self {
            kind: PeriodKind::Month,
            from,
            to: last_of_month(from),
            basis: Basis::Requested,
            producer: None,
            institution: None,
            machine: None,
            station: None,
            status: None,
            province: None,
        }
    }

    /// The period as people say it: "November 2026", "Triwulan IV 2026",
    /// "Tahun 2026", "01 Oktober 2026 – 15 November 2026".
    #[must_use]
    pub fn period_label(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{} {}", locale::month_name(self.from.month()), self.from.year()),
            PeriodKind::Quarter => format!("Triwulan {} {}", ["I", "II", "III", "IV"][(self.from.month0() / 3) as usize], self.from.year()),
            PeriodKind::Year => format!("Tahun {}", self.from.year()),
            PeriodKind::Range => format!("{} – {}", locale::date(self.from), locale::date(self.to)),
        }
    }

    /// The download's name part: `2026-11`, `2026-T4`, `2026`, `2026-10-01_2026-11-15`.
    #[must_use]
    pub fn file_stamp(&self) -> String {
        match self.kind {
            PeriodKind::Month => self.from.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{}-T{}", self.from.year(), self.from.month0() / 3 + 1),
            PeriodKind::Year => self.from.year().to_string(),
            PeriodKind::Range => format!("{}_{}", self.from, self.to),
        }
    }

    /// The months the period touches, as `YYYY-MM`, in order.
    #[must_use]
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut m = self.from.with_day(1).unwrap_or(self.from);
        while m <= self.to {
            out.push(m.format("%Y-%m").to_string());
            m = m.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
        }
        out
    }
}

fn last_of_month(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(first)
}

/// A month `YYYY-MM` with the month 1..=12 and the year in [`YEARS`].
#[must_use]
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (parse_year(y)?, m.parse::<u32>().ok()?);
    if !(1..=12).contains(&m) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// A year in [`YEARS`].
#[must_use]
pub fn parse_year(s: &str) -> Option<i32> {
    let s = s.trim();
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|y| YEARS.contains(y))
}

/// A date `YYYY-MM-DD` with the year in [`YEARS`].
#[must_use]
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|d| YEARS.contains(&d.year()))
}

/// An id from the query string: a positive `i32`.
fn parse_id(s: &str) -> Option<i32> {
    s.trim().parse::<i32>().ok().filter(|id| *id > 0)
}

/// One choice of a filter's list.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub id: i32,
    pub name: String,
}

/// What the viewer may choose in each filter: a producer is offered only
/// itself, an institution only itself.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Choices {
    pub producers: Vec<Choice>,
    pub institutions: Vec<Choice>,
    pub machines: Vec<Choice>,
    pub stations: Vec<Choice>,
    /// Provinces of the activated readers the viewer may see.
    pub provinces: Vec<String>,
}

impl Choices {
    /// # Errors
    /// On database failure.
    pub async fn load<C: ConnectionTrait>(db: &C, viewer: Viewer) -> AppResult<Self> {
        let orgs =
            |kinds: Vec<&'static str>| organisations::Entity::find().filter(organisations::Column::Kind.is_in(kinds)).order_by_asc(organisations::Column::Name);
        let to_choice = |o: organisations::Model| Choice { id: o.id, name: o.name };
        let (producers, institutions) = match viewer {
            Viewer::Producer(org) => (
                orgs(vec![OrgKind::Produsen.as_str()]).filter(organisations::Column::Id.eq(org)).all(db).await?,
                orgs(vec![OrgKind::Lembaga.as_str(), OrgKind::DukcapilKota.as_str()]).all(db).await?,
            ),
            Viewer::Institution(org) => (
                orgs(vec![OrgKind::Produsen.as_str()]).all(db).await?,
                orgs(vec![OrgKind::Lembaga.as_str(), OrgKind::DukcapilKota.as_str()]).filter(organisations::Column::Id.eq(org)).all(db).await?,
            ),
            Viewer::Everything => {
                (orgs(vec![OrgKind::Produsen.as_str()]).all(db).await?, orgs(vec![OrgKind::Lembaga.as_str(), OrgKind::DukcapilKota.as_str()]).all(db).await?)
            }
            Viewer::Nobody => (Vec::new(), Vec::new()),
        };
        let machines = machine_types::Entity::find().order_by_asc(machine_types::Column::Name).all(db).await?;
        let stations = stations::Entity::find().order_by_asc(stations::Column::Code).all(db).await?;
        let provinces = super::activations::provinces(db, viewer).await?;
        Ok(Self {
            producers: producers.into_iter().map(to_choice).collect(),
            institutions: institutions.into_iter().map(to_choice).collect(),
            machines: machines.into_iter().map(|m| Choice { id: m.id, name: m.name }).collect(),
            stations: stations.into_iter().map(|s| Choice { id: s.id, name: format!("{} – {}", s.code, s.name) }).collect(),
            provinces,
        })
    }
}

impl Query {
    /// The filter this query asks for, and a message per field that could
    /// not be used (that field then falls back). `today` (WIB) gives the
    /// default period: its month.
    #[must_use]
    pub fn parse(&self, today: NaiveDate, choices: &Choices) -> (Filter, FieldErrors) {
        let mut e = FieldErrors::new();
        let mut f = Filter::month_of(today);
        let given = |s: &str| !s.trim().is_empty();
        let kind = match self.period.trim() {
            "" => {
                if given(&self.from) || given(&self.to) {
                    PeriodKind::Range
                } else if given(&self.quarter) {
                    PeriodKind::Quarter
                } else if given(&self.year) && !given(&self.month) {
                    PeriodKind::Year
                } else {
                    PeriodKind::Month
                }
            }
            code => PeriodKind::ALL.into_iter().find(|k| k.code() == code).unwrap_or_else(|| {
                e.add("period", "Jenis periode tidak dikenal; dipakai bulan berjalan.");
                PeriodKind::Month
            }),
        };
        match kind {
            PeriodKind::Month if given(&self.month) => match parse_month(&self.month) {
                Some(first) => (f.from, f.to) = (first, last_of_month(first)),
                None => e.add("month", "Bulan harus berformat TTTT-BB (bulan 01–12, tahun 2000–2100); dipakai bulan berjalan."),
            },
            PeriodKind::Month => {}
            PeriodKind::Quarter | PeriodKind::Year => {
                let year = if given(&self.year) {
                    parse_year(&self.year).unwrap_or_else(|| {
                        e.add("year", "Tahun harus antara 2000 dan 2100; dipakai bulan berjalan.");
                        today.year()
                    })
                } else {
                    today.year()
                };
                let (first, months) = if kind == PeriodKind::Year {
                    (1, 12)
                } else {
                    let q = if given(&self.quarter) {
                        self.quarter.trim().parse::<u32>().ok().filter(|q| (1..=4).contains(q)).unwrap_or_else(|| {
                            e.add("quarter", "Triwulan harus 1, 2, 3 atau 4; dipakai bulan berjalan.");
                            today.month0() / 3 + 1
                        })
                    } else {
                        today.month0() / 3 + 1
                    };
                    ((q - 1) * 3 + 1, 3)
                };
                if let Some(start) = NaiveDate::from_ymd_opt(year, first, 1) {
                    f.from = start;
                    f.to = start.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()).unwrap_or(start);
                }
            }
            PeriodKind::Range => {
                let from = parse_date(&self.from);
                let to = parse_date(&self.to);
                if from.is_none() {
                    e.add("from", "Tanggal awal wajib diisi dengan format TTTT-BB-HH (tahun 2000–2100).");
                }
                if to.is_none() {
                    e.add("to", "Tanggal akhir wajib diisi dengan format TTTT-BB-HH (tahun 2000–2100).");
                }
                match (from, to) {
                    (Some(a), Some(b)) if b < a => e.add("to", "Tanggal akhir tidak boleh sebelum tanggal awal; dipakai bulan berjalan."),
                    (Some(a), Some(b)) if a.checked_add_months(Months::new(12 * MAX_RANGE_YEARS)).is_none_or(|limit| b >= limit) => {
                        e.add("to", format!("Rentang tanggal paling panjang {MAX_RANGE_YEARS} tahun; dipakai bulan berjalan."));
                    }
                    (Some(a), Some(b)) => (f.from, f.to) = (a, b),
                    _ => {}
                }
            }
        }
        // A period that could not be used is the current month, said so.
        if e.is_empty() {
            f.kind = kind;
        } else {
            let month = Filter::month_of(today);
            (f.kind, f.from, f.to) = (PeriodKind::Month, month.from, month.to);
        }
        f.basis = match self.basis.trim() {
            "" => Basis::Requested,
            code => Basis::ALL.into_iter().find(|b| b.code() == code).unwrap_or_else(|| {
                e.add("basis", "Dasar tanggal tidak dikenal; dipakai Tgl Permintaan.");
                Basis::Requested
            }),
        };
        let pick = |e: &mut FieldErrors, field: &str, raw: &str, list: &[Choice], what: &str| -> Option<i32> {
            if raw.trim().is_empty() {
                return None;
            }
            let id = parse_id(raw).filter(|id| list.iter().any(|c| c.id == *id));
            if id.is_none() {
                e.add(field, format!("{what} tidak ditemukan atau tidak dapat Anda pilih; filter ini tidak dipakai."));
            }
            id
        };
        f.producer = pick(&mut e, "producer", &self.producer, &choices.producers, "Produsen");
        f.institution = pick(&mut e, "institution", &self.institution, &choices.institutions, "Lembaga");
        f.machine = pick(&mut e, "machine", &self.machine, &choices.machines, "Jenis mesin");
        f.station = pick(&mut e, "station", &self.station, &choices.stations, "Stasiun");
        f.status = match self.status.trim() {
            "" => None,
            code => RequestStatus::parse(code).or_else(|| {
                e.add("status", "Status tidak dikenal; filter ini tidak dipakai.");
                None
            }),
        };
        f.province = match self.province.trim() {
            "" => None,
            name => {
                let found = choices.provinces.iter().find(|p| p.to_lowercase() == name.to_lowercase()).cloned();
                if found.is_none() {
                    e.add("province", "Provinsi tidak ditemukan atau tidak dapat Anda pilih; filter ini tidak dipakai.");
                }
                found
            }
        };
        (f, e)
    }
}

impl Filter {
    /// The filter as people read it (label, value), for the page's summary
    /// and the export's first sheet.
    #[must_use]
    pub fn describe(&self, choices: &Choices) -> Vec<(String, String)> {
        let name =
            |list: &[Choice], id: Option<i32>| id.and_then(|id| list.iter().find(|c| c.id == id)).map_or_else(|| "Semua".to_string(), |c| c.name.clone());
        vec![
            ("Periode".into(), self.period_label()),
            ("Dasar tanggal".into(), self.basis.label().into()),
            ("Produsen".into(), name(&choices.producers, self.producer)),
            ("Lembaga".into(), name(&choices.institutions, self.institution)),
            ("Jenis Mesin".into(), name(&choices.machines, self.machine)),
            ("Stasiun".into(), name(&choices.stations, self.station)),
            ("Status Permintaan".into(), self.status.map_or_else(|| "Semua".to_string(), |s| s.label().to_string())),
            ("Provinsi card reader (aktivasi)".into(), self.province.clone().unwrap_or_else(|| "Semua".to_string())),
        ]
    }
}
