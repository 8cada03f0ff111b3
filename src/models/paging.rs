//! Paging shared by every list: the `page` of a query string is parsed once
//! into a bounded type, the rows are counted, and the page asked for is
//! clamped to the last one — no value of `page` can overflow an offset or
//! reach the database unbounded.
use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{DatabaseConnection, PaginatorTrait, QueryTrait};
use serde::{de, Deserialize, Deserializer, Serialize};

use super::AppResult;

/// Above this, a page number is taken as this (then clamped to the last page).
pub const MAX_PAGE: u64 = 1_000_000;

/// `?page=` as typed: a whole number from 1; anything else (empty, text,
/// zero, negative, a fraction) is page 1, a huge number is [`MAX_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PageNo(u64);

impl Default for PageNo {
    fn default() -> Self {
        Self(1)
    }
}

impl PageNo {
    #[must_use]
    pub fn parse(raw: &str) -> Self {
        let digits = raw.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Self(1);
        }
        // Only digits: too long for u64 means huge.
        Self(digits.parse::<u64>().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE))
    }

    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for PageNo {
    fn from(n: u64) -> Self {
        Self(n.clamp(1, MAX_PAGE))
    }
}

impl<'de> Deserialize<'de> for PageNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Lenient;
        impl de::Visitor<'_> for Lenient {
            type Value = PageNo;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a page number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PageNo, E> {
                Ok(PageNo::parse(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PageNo, E> {
                Ok(PageNo::from(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PageNo, E> {
                Ok(PageNo::from(u64::try_from(v).unwrap_or(1)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<PageNo, E> {
                Ok(PageNo::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<PageNo, E> {
                Ok(PageNo::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<PageNo, E> {
                Ok(PageNo::default())
            }
        }
        d.deserialize_any(Lenient)
    }
}

/// Where a page sits in its list: "Menampilkan 21–40 dari 350 data".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The page shown (1 ..= last).
    pub number: u64,
    pub per_page: u64,
    pub total: u64,
}

impl Window {
    /// The page asked for, clamped to the last page of `total` rows.
    #[must_use]
    pub fn new(asked: PageNo, per_page: u64, total: u64) -> Self {
        let per_page = per_page.max(1);
        let last = total.div_ceil(per_page).max(1);
        Self { number: asked.get().min(last), per_page, total }
    }

    #[must_use]
    pub fn last(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    #[must_use]
    pub fn offset(&self) -> u64 {
        (self.number - 1) * self.per_page
    }

    /// Number of the first row shown (0 for an empty list).
    #[must_use]
    pub fn first_row(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }

    #[must_use]
    pub fn last_row(&self) -> u64 {
        (self.offset() + self.per_page).min(self.total)
    }
}

/// A counted total is reused while this process wrote nothing and for at
/// most this long (another process's writes show after it): a list viewed
/// page after page does not count its rows again for every page.
const COUNT_FOR: Duration = Duration::from_secs(5);
/// Counts remembered at most (the map is emptied when full).
const COUNTS_KEPT: usize = 1_000;

/// A remembered total: (writes of this process then, when, total).
type Counted = (u64, Instant, u64);

/// Query with its values → its remembered total.
static COUNTS: LazyLock<Mutex<HashMap<String, Counted>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The number of rows of `q`, counted at most once per [`COUNT_FOR`] and
/// per write of this process.
///
/// # Errors
/// On database failure.
pub async fn count<'db, Q>(db: &'db DatabaseConnection, q: &Q) -> AppResult<u64>
where
    Q: QueryTrait + PaginatorTrait<'db, DatabaseConnection> + Clone + Send,
{
    let key = format!("{:?}", q.build(db.get_database_backend()));
    let writes = super::writes();
    if let Ok(counts) = COUNTS.lock() {
        if let Some((at_writes, at, total)) = counts.get(&key) {
            if *at_writes == writes && at.elapsed() < COUNT_FOR {
                return Ok(*total);
            }
        }
    }
    let total = q.clone().count(db).await?;
    if let Ok(mut counts) = COUNTS.lock() {
        if counts.len() >= COUNTS_KEPT {
            counts.clear();
        }
        counts.insert(key, (writes, Instant::now(), total));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_page_value_parses_bounded() {
        for (raw, n) in [
            ("", 1),
            ("0", 1),
            ("-3", 1),
            ("2.5", 1),
            ("abc", 1),
            ("7", 7),
            (" 12 ", 12),
            ("18446744073709551615", MAX_PAGE),
            ("99999999999999999999999", MAX_PAGE),
        ] {
            assert_eq!(PageNo::parse(raw).get(), n, "{raw:?}");
        }
    }

    #[test]
    fn the_window_clamps_to_the_last_page() {
        let w = Window::new(PageNo::parse("18446744073709551615"), 50, 350);
        assert_eq!((w.number, w.first_row(), w.last_row(), w.last()), (7, 301, 350, 7));
        let empty = Window::new(PageNo::default(), 50, 0);
        assert_eq!((empty.number, empty.first_row(), empty.last_row(), empty.last()), (1, 0, 0, 1));
    }
}
