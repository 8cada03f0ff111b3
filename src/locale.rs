//! Indonesian locale helpers (nama hari/bulan, format tanggal, terbilang).
//!
//! All functions are pure and depend only on `chrono`.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};

/// Western Indonesia Time (UTC+7, no daylight saving): every time a person
/// reads is in WIB; the database stores UTC.
#[must_use]
pub fn wib() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("valid offset")
}

/// A moment as pages show it, in WIB: "08 Okt 2019 11:41". The one
/// format of the `tgl_jam` filter and of every JSON poll that puts a time on
/// a page (so a polled row reads the same as after a reload).
#[must_use]
pub fn jam_wib<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String {
    short_date_time(t.with_timezone(&wib()).naive_local())
}

const MONTH_NAMES: [&str; 12] = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];

const MONTH_ABBRS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];

const UNITS: [&str; 10] = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];

/// Scale words for successive groups of three digits (10^0, 10^3, 10^6, ...).
/// Covers the full `u64` range (max ≈ 18,4 kuintiliun).
const SCALES: [&str; 7] = ["", "ribu", "juta", "milyar", "triliun", "kuadriliun", "kuintiliun"];

/// Indonesian name of a weekday, Monday-first.
///
/// Example: `day_name(Weekday::Tue)` → `"Selasa"`; `day_name(Weekday::Sun)` → `"Minggu"`.
pub fn day_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Senin",
        Weekday::Tue => "Selasa",
        Weekday::Wed => "Rabu",
        Weekday::Thu => "Kamis",
        Weekday::Fri => "Jumat",
        Weekday::Sat => "Sabtu",
        Weekday::Sun => "Minggu",
    }
}

/// Full Indonesian month name for `month` in `1..=12`; returns `""` when out of range.
///
/// Example: `month_name(10)` → `"Oktober"`.
pub fn month_name(month: u32) -> &'static str {
    match month {
        1..=12 => MONTH_NAMES[(month - 1) as usize],
        _ => "",
    }
}

/// Three-letter Indonesian month abbreviation for `month` in `1..=12`
/// (Jan, Feb, Mar, Apr, Mei, Jun, Jul, Agu, Sep, Okt, Nov, Des); returns `""` when out of range.
///
/// Example: `month_abbr(8)` → `"Agu"`.
pub fn month_abbr(month: u32) -> &'static str {
    match month {
        1..=12 => MONTH_ABBRS[(month - 1) as usize],
        _ => "",
    }
}

/// Day name, zero-padded day, full month name and year.
///
/// Example: 2019-10-08 → `"Selasa, 08 Oktober 2019"`.
pub fn long_date(d: NaiveDate) -> String {
    format!("{}, {}", day_name(d.weekday()), date(d))
}

/// Zero-padded day, full month name and year.
///
/// Example: 2019-10-08 → `"08 Oktober 2019"`.
pub fn date(d: NaiveDate) -> String {
    format!("{:02} {} {}", d.day(), month_name(d.month()), d.year())
}

/// Short date followed by 24-hour `HH:MM` time (seconds dropped).
///
/// Example: 2019-10-08 11:41:07 → `"08 Okt 2019 11:41"`.
pub fn short_date_time(dt: NaiveDateTime) -> String {
    format!("{} {:02}:{:02}", short_date(dt.date()), dt.time().hour(), dt.time().minute())
}

/// Zero-padded day, abbreviated month name and year.
///
/// Example: 2019-10-08 → `"08 Okt 2019"`.
pub fn short_date(d: NaiveDate) -> String {
    format!("{:02} {} {}", d.day(), month_abbr(d.month()), d.year())
}

/// Words for a group `1..=999` (never called with 0).
fn group_in_words(n: u64, out: &mut Vec<&'static str>) {
    debug_assert!((1..=999).contains(&n));
    let hundreds = n / 100;
    let rest = n % 100;
    match hundreds {
        0 => {}
        1 => out.push("seratus"),
        h => {
            out.push(UNITS[h as usize]);
            out.push("ratus");
        }
    }
    match rest {
        0 => {}
        1..=9 => out.push(UNITS[rest as usize]),
        10 => out.push("sepuluh"),
        11 => out.push("sebelas"),
        12..=19 => {
            out.push(UNITS[(rest - 10) as usize]);
            out.push("belas");
        }
        _ => {
            out.push(UNITS[(rest / 10) as usize]);
            out.push("puluh");
            if !rest.is_multiple_of(10) {
                out.push(UNITS[(rest % 10) as usize]);
            }
        }
    }
}

/// Indonesian "terbilang": the number spelled out in lowercase words.
///
/// Rules: 10 "sepuluh", 11 "sebelas", 12–19 "… belas", tens "… puluh",
/// 100 "seratus", hundreds "… ratus"; groups of three digits take the scale
/// words ribu, juta, milyar, triliun (then kuadriliun, kuintiliun to cover `u64`).
/// A thousands group equal to exactly one is "seribu", but other scales keep
/// "satu" ("satu juta", "satu milyar"). Zero is "nol".
///
/// Examples: `2019` → `"dua ribu sembilan belas"`, `1_001_000` → `"satu juta seribu"`,
/// `21_000` → `"dua puluh satu ribu"`.
pub fn number_in_words(n: u64) -> String {
    if n == 0 {
        return UNITS[0].to_string();
    }
    // Split into groups of three digits, least significant first.
    let mut groups = Vec::with_capacity(SCALES.len());
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut words: Vec<&'static str> = Vec::new();
    for (scale, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            continue;
        }
        if scale == 1 && group == 1 {
            words.push("seribu");
            continue;
        }
        group_in_words(group, &mut words);
        if scale > 0 {
            words.push(SCALES[scale]);
        }
    }
    words.join(" ")
}

/// Upper-cases the first character of every whitespace-separated word,
/// leaving all other characters (including the whitespace) unchanged.
///
/// Example: `"dua ribu sembilan belas"` → `"Dua Ribu Sembilan Belas"`.
pub fn title_case_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            at_word_start = true;
            out.push(c);
        } else if at_word_start {
            at_word_start = false;
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Decimal digits grouped in threes with `.` (the Indonesian thousands separator).
///
/// Examples: `1250` → `"1.250"`, `100` → `"100"`, `1_000_000` → `"1.000.000"`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Grouped figure followed by its lowercase terbilang in parentheses.
///
/// Examples: `100` → `"100 (seratus)"`, `1250` → `"1.250 (seribu dua ratus lima puluh)"`.
pub fn quantity_with_words(n: u64) -> String {
    format!("{} ({})", group_thousands(n), number_in_words(n))
}

/// Date spelled out as in formal documents: day name, "tanggal", day number
/// in title-cased words, "bulan", month name, "tahun", year in title-cased words.
///
/// Example: 2019-10-08 →
/// `"Selasa tanggal Delapan bulan Oktober tahun Dua Ribu Sembilan Belas"`.
pub fn date_in_words(d: NaiveDate) -> String {
    // Years before 1 CE are spelled by magnitude; registry dates are always positive.
    let year = u64::from(d.year().unsigned_abs());
    format!(
        "{} tanggal {} bulan {} tahun {}",
        day_name(d.weekday()),
        title_case_words(&number_in_words(u64::from(d.day()))),
        month_name(d.month()),
        title_case_words(&number_in_words(year))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn ymd_hms(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        ymd(y, m, d).and_hms_opt(h, mi, s).unwrap()
    }

    #[test]
    fn day_names_for_every_weekday() {
        assert_eq!(day_name(Weekday::Mon), "Senin");
        assert_eq!(day_name(Weekday::Tue), "Selasa");
        assert_eq!(day_name(Weekday::Wed), "Rabu");
        assert_eq!(day_name(Weekday::Thu), "Kamis");
        assert_eq!(day_name(Weekday::Fri), "Jumat");
        assert_eq!(day_name(Weekday::Sat), "Sabtu");
        assert_eq!(day_name(Weekday::Sun), "Minggu");
    }

    #[test]
    fn day_names_from_dates() {
        // 2019-10-07 is a Monday.
        let expected = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"];
        for (i, name) in expected.iter().enumerate() {
            assert_eq!(day_name(ymd(2019, 10, 7 + i as u32).weekday()), *name);
        }
    }

    #[test]
    fn month_names() {
        let expected = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
        for (i, name) in expected.iter().enumerate() {
            assert_eq!(month_name(i as u32 + 1), *name);
        }
    }

    #[test]
    fn month_abbrs() {
        assert_eq!(month_abbr(1), "Jan");
        assert_eq!(month_abbr(2), "Feb");
        assert_eq!(month_abbr(3), "Mar");
        assert_eq!(month_abbr(4), "Apr");
        assert_eq!(month_abbr(5), "Mei");
        assert_eq!(month_abbr(6), "Jun");
        assert_eq!(month_abbr(7), "Jul");
        assert_eq!(month_abbr(8), "Agu");
        assert_eq!(month_abbr(9), "Sep");
        assert_eq!(month_abbr(10), "Okt");
        assert_eq!(month_abbr(11), "Nov");
        assert_eq!(month_abbr(12), "Des");
    }

    #[test]
    fn month_out_of_range_is_empty() {
        assert_eq!(month_name(0), "");
        assert_eq!(month_name(13), "");
        assert_eq!(month_abbr(0), "");
        assert_eq!(month_abbr(13), "");
    }

    #[test]
    fn long_date_example() {
        assert_eq!(long_date(ymd(2019, 10, 8)), "Selasa, 08 Oktober 2019");
    }

    #[test]
    fn date_example() {
        assert_eq!(date(ymd(2019, 10, 8)), "08 Oktober 2019");
    }

    #[test]
    fn short_date_time_example() {
        assert_eq!(short_date_time(ymd_hms(2019, 10, 8, 11, 41, 7)), "08 Okt 2019 11:41");
        assert_eq!(short_date_time(ymd_hms(2020, 1, 2, 3, 4, 5)), "02 Jan 2020 03:04");
    }

    #[test]
    fn short_date_example() {
        assert_eq!(short_date(ymd(2019, 10, 8)), "08 Okt 2019");
    }

    #[test]
    fn leap_day() {
        let d = ymd(2020, 2, 29);
        assert_eq!(long_date(d), "Sabtu, 29 Februari 2020");
        assert_eq!(date(d), "29 Februari 2020");
        assert_eq!(short_date(d), "29 Feb 2020");
        assert_eq!(date_in_words(d), "Sabtu tanggal Dua Puluh Sembilan bulan Februari tahun Dua Ribu Dua Puluh");
    }

    #[test]
    fn words_basic_examples() {
        assert_eq!(number_in_words(0), "nol");
        assert_eq!(number_in_words(1), "satu");
        assert_eq!(number_in_words(10), "sepuluh");
        assert_eq!(number_in_words(11), "sebelas");
        assert_eq!(number_in_words(12), "dua belas");
        assert_eq!(number_in_words(19), "sembilan belas");
        assert_eq!(number_in_words(20), "dua puluh");
        assert_eq!(number_in_words(100), "seratus");
        assert_eq!(number_in_words(101), "seratus satu");
        assert_eq!(number_in_words(111), "seratus sebelas");
        assert_eq!(number_in_words(250), "dua ratus lima puluh");
        assert_eq!(number_in_words(1000), "seribu");
        assert_eq!(number_in_words(1001), "seribu satu");
        assert_eq!(number_in_words(2019), "dua ribu sembilan belas");
        assert_eq!(number_in_words(1_000_000), "satu juta");
    }

    #[test]
    fn words_largest_below_milyar() {
        assert_eq!(
            number_in_words(999_999_999),
            "sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh \
             sembilan ribu sembilan ratus sembilan puluh sembilan"
        );
    }

    #[test]
    fn words_milyar_and_triliun() {
        assert_eq!(number_in_words(1_000_000_000), "satu milyar");
        assert_eq!(number_in_words(2_000_000_001), "dua milyar satu");
        assert_eq!(number_in_words(1_000_000_000_000), "satu triliun");
        assert_eq!(number_in_words(5_001_000_000_000), "lima triliun satu milyar");
    }

    #[test]
    fn words_full_u64_range() {
        assert_eq!(number_in_words(1_000_000_000_000_000), "satu kuadriliun");
        assert_eq!(number_in_words(1_000_000_000_000_000_000), "satu kuintiliun");
        // Must not panic at the top of the range.
        assert!(number_in_words(u64::MAX).starts_with("delapan belas kuintiliun"));
    }

    #[test]
    fn words_seribu_only_for_single_thousand() {
        assert_eq!(number_in_words(1_001_000), "satu juta seribu");
        assert_eq!(number_in_words(21_000), "dua puluh satu ribu");
        assert_eq!(number_in_words(100_000), "seratus ribu");
        assert_eq!(number_in_words(101_000), "seratus satu ribu");
        assert_eq!(number_in_words(1_000_000_000_001), "satu triliun satu");
    }

    #[test]
    fn words_edge_cases() {
        assert_eq!(number_in_words(99), "sembilan puluh sembilan");
        assert_eq!(number_in_words(110), "seratus sepuluh");
        assert_eq!(number_in_words(115), "seratus lima belas");
        assert_eq!(number_in_words(1_100), "seribu seratus");
        assert_eq!(number_in_words(10_000), "sepuluh ribu");
        assert_eq!(number_in_words(11_000), "sebelas ribu");
        assert_eq!(number_in_words(999_999), "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan");
        assert_eq!(number_in_words(1_000_001), "satu juta satu");
        assert_eq!(number_in_words(12_345_678), "dua belas juta tiga ratus empat puluh lima ribu enam ratus tujuh puluh delapan");
    }

    #[test]
    fn title_case() {
        assert_eq!(title_case_words("dua ribu sembilan belas"), "Dua Ribu Sembilan Belas");
        assert_eq!(title_case_words(""), "");
        assert_eq!(title_case_words("satu"), "Satu");
        assert_eq!(title_case_words("  dua  puluh "), "  Dua  Puluh ");
    }

    #[test]
    fn thousands_grouping() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(100), "100");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1250), "1.250");
        assert_eq!(group_thousands(12_345), "12.345");
        assert_eq!(group_thousands(123_456), "123.456");
        assert_eq!(group_thousands(1_000_000), "1.000.000");
        assert_eq!(group_thousands(u64::MAX), "18.446.744.073.709.551.615");
    }

    #[test]
    fn quantity_examples() {
        assert_eq!(quantity_with_words(100), "100 (seratus)");
        assert_eq!(quantity_with_words(250), "250 (dua ratus lima puluh)");
        assert_eq!(quantity_with_words(1250), "1.250 (seribu dua ratus lima puluh)");
        assert_eq!(quantity_with_words(0), "0 (nol)");
    }

    #[test]
    fn date_in_words_example() {
        assert_eq!(date_in_words(ymd(2019, 10, 8)), "Selasa tanggal Delapan bulan Oktober tahun Dua Ribu Sembilan Belas");
        assert_eq!(date_in_words(ymd(2000, 1, 1)), "Sabtu tanggal Satu bulan Januari tahun Dua Ribu");
    }
}
