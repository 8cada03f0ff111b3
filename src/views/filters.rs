//! Tera filters that render dates the Indonesian way. Timestamps are stored
//! in UTC and shown in WIB (UTC+7, no daylight saving).
use chrono::{DateTime, NaiveDate};
use tera::{Kwargs, State, Tera};

use crate::locale::{self, jam_wib, wib};

fn parse_date(s: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(s)
        .map(|dt| dt.with_timezone(&wib()).date_naive())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok())
}

/// `"2019-10-08T04:41:00Z" | tgl_jam` → "08 Okt 2019 11:41".
fn tgl_jam(val: &str, _: Kwargs, _: &State) -> String {
    DateTime::parse_from_rfc3339(val).map(|dt| jam_wib(&dt)).unwrap_or_else(|_| val.to_string())
}

/// `"2019-10-08" | tgl` → "08 Oktober 2019".
fn tgl(val: &str, _: Kwargs, _: &State) -> String {
    parse_date(val).map_or_else(|| val.to_string(), locale::date)
}

/// `"2019-10-08" | tgl_panjang` → "Selasa, 08 Oktober 2019".
fn tgl_panjang(val: &str, _: Kwargs, _: &State) -> String {
    parse_date(val).map_or_else(|| val.to_string(), locale::long_date)
}

/// `1234567 | angka` → "1.234.567"; `12.25 | angka(d=1)` → "12,3".
fn angka(val: f64, kwargs: Kwargs, _: &State) -> String {
    let decimals = kwargs.get::<i64>("d").ok().flatten().unwrap_or(0).clamp(0, 3) as usize;
    super::charts::number(val, decimals)
}

pub fn register(tera: &mut Tera) {
    tera.register_filter("angka", angka);
    tera.register_filter("tgl_jam", tgl_jam);
    tera.register_filter("tgl", tgl);
    tera.register_filter("tgl_panjang", tgl_panjang);
}
