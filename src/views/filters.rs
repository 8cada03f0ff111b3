//! Tera filters that render dates the Indonesian way. Timestamps are stored
//! in UTC and shown in WIB (UTC+7, no daylight saving).
use chrono::{DateTime, NaiveDate};
use tera::{Kwargs, State, Tera};

use crate::locale::{self, jam_wib, wib};

fn parse_date(s: &str) -> Option<NaiveDate> {
    // A plain `YYYY-MM-DD`, as every date column serialises, without a format string.
    let plain = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if plain {
        let number = |range: std::ops::Range<usize>| s.get(range).and_then(|n| n.parse::<u32>().ok());
        return NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(5..7)?, number(8..10)?);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_from_every_form_the_pages_serialise() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("2019-10-08"), day(2019, 10, 8));
        assert_eq!(parse_date("2019-10-08T20:41:00Z"), day(2019, 10, 9), "an instant is dated in WIB");
        assert_eq!(parse_date("2019-10-08 10:00:00"), day(2019, 10, 8));
        for bad in ["2019-13-01", "2019-02-30", "abcd-ef-gh", "2019/10/08", ""] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
