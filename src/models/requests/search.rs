//! The request lists' search box: a substring of number, title and
//! institution, case-insensitive.
//!
//! On SQLite the trigram index (`requests_search`, FTS5) narrows the rows to
//! those holding the term's two rarest trigrams, and `LIKE` then keeps the
//! exact matches among those few. How rare a trigram is comes from the
//! index's own vocabulary, remembered for a while. When even the rarest
//! trigram is in many rows, or the term is shorter than a trigram, the list
//! is walked in its order instead and `LIKE` stops it at a page's worth of
//! matches.
//!
//! PostgreSQL narrows alike on its `pg_trgm` index: asked for the whole
//! term, the index intersects the rows of every trigram, and a trigram of a
//! word in every title ("cab" of "cabang") makes each search read a posting
//! list of the whole table. So the index is asked for the two rarest
//! trigrams only (`LIKE '%424%'`, which `pg_trgm` serves from the index),
//! and `strpos` then keeps the exact matches (it is not served by the
//! index, so the index is not asked for the rest). How rare a trigram is
//! is counted on the index, up to [`DENSE`], and remembered like SQLite's.
//! Only trigrams of ASCII letters and digits are used there: `pg_trgm`
//! splits words at other characters and could not serve them.
use std::{
    collections::{BTreeSet, HashMap},
    sync::{LazyLock, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    prelude::Expr,
    sea_query::{ExprTrait as _, LikeExpr},
    ConnectionTrait, DatabaseConnection, DbBackend, Statement,
};

use super::{Column, Entity};
use crate::models::errors::AppResult;

/// Longest search term used (longer input is cut, on a character boundary).
pub const MAX_CHARS: usize = 100;

/// A trigram in more rows than this is no help in narrowing a search.
const DENSE: u64 = 5_000;

/// How long a trigram's row count is trusted.
const COUNT_FOR: Duration = Duration::from_secs(600);

/// Trigram → (rows holding it, when counted). Each process has one
/// database, so a trigram is counted on that database's index.
static RARITY: LazyLock<Mutex<HashMap<String, (u64, Instant)>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// How a list finds its search term's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// No term: every row of the scope.
    Everything,
    /// Rows holding these trigrams (SQLite's trigram index), then `LIKE`.
    Narrowed { term: String, trigrams: Vec<String> },
    /// Rows holding these trigrams (PostgreSQL's `pg_trgm` index), then
    /// `strpos`.
    Indexed { term: String, trigrams: Vec<String> },
    /// `LIKE` over the list walked in its order (or PostgreSQL's index).
    Scanned { term: String },
}

/// The search box's text as matched against `search_text`: trimmed,
/// lower-cased, at most [`MAX_CHARS`]; `None` when empty.
#[must_use]
pub fn term_of(raw: &str) -> Option<String> {
    let term: String = raw.trim().to_lowercase().chars().take(MAX_CHARS).collect();
    let term = term.trim_end().to_string();
    (!term.is_empty()).then_some(term)
}

/// Whether `pg_trgm` serves `LIKE '%<trigram>%'` from its index: ASCII
/// letters and digits only (it splits words at anything else). Such a
/// trigram is also safe to write into SQL.
fn pg_servable(trigram: &str) -> bool {
    trigram.len() == 3 && trigram.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The distinct trigrams of `term` (by character).
fn trigrams(term: &str) -> BTreeSet<String> {
    let chars: Vec<char> = term.chars().collect();
    chars.windows(3).map(|w| w.iter().collect()).collect()
}

/// Rows of the trigram index holding `trigram`, remembered [`COUNT_FOR`].
async fn rows_holding(db: &DatabaseConnection, trigram: &str) -> AppResult<u64> {
    if let Some((n, at)) = RARITY.lock().ok().and_then(|m| m.get(trigram).copied()) {
        if at.elapsed() < COUNT_FOR {
            return Ok(n);
        }
    }
    let row = match db.get_database_backend() {
        DbBackend::Postgres => {
            // The trigram is written into the SQL (it is ASCII letters and
            // digits only): planned with its literal, the count is served by
            // the trigram index, never by a scan of the table.
            debug_assert!(pg_servable(trigram));
            let sql =
                format!("SELECT COUNT(*) AS doc FROM (SELECT 1 FROM personalization_requests WHERE search_text LIKE '%{trigram}%' LIMIT {}) AS t", DENSE + 1);
            db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?
        }
        _ => {
            db.query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "SELECT doc FROM requests_search_terms WHERE term = ?", [trigram.into()]))
                .await?
        }
    };
    let n = row.and_then(|r| r.try_get::<i64>("", "doc").ok()).map_or(0, |n| u64::try_from(n).unwrap_or(0));
    if let Ok(mut m) = RARITY.lock() {
        if m.len() >= 100_000 {
            m.clear();
        }
        m.insert(trigram.to_string(), (n, Instant::now()));
    }
    Ok(n)
}

impl Search {
    /// How to search for `raw` (the `q` of a list) on `db`.
    ///
    /// # Errors
    /// On database failure.
    pub async fn plan(db: &DatabaseConnection, raw: &str) -> AppResult<Self> {
        let Some(term) = term_of(raw) else { return Ok(Self::Everything) };
        let backend = db.get_database_backend();
        if !matches!(backend, DbBackend::Sqlite | DbBackend::Postgres) || term.chars().count() < 3 {
            return Ok(Self::Scanned { term });
        }
        let mut counted = Vec::new();
        for trigram in trigrams(&term) {
            if backend == DbBackend::Postgres && !pg_servable(&trigram) {
                continue;
            }
            counted.push((rows_holding(db, &trigram).await?, trigram));
        }
        counted.sort();
        if counted.first().is_none_or(|(n, _)| *n > DENSE) {
            return Ok(Self::Scanned { term });
        }
        let trigrams = counted.into_iter().take(2).map(|(_, t)| t).collect();
        Ok(if backend == DbBackend::Postgres { Self::Indexed { term, trigrams } } else { Self::Narrowed { term, trigrams } })
    }

    /// Whether the rows are found through the trigram index (the scope must
    /// then not be served by an index, or SQLite walks that instead).
    #[must_use]
    pub const fn narrowed(&self) -> bool {
        matches!(self, Self::Narrowed { .. } | Self::Indexed { .. })
    }

    /// The condition on `personalization_requests`, if any.
    #[must_use]
    pub fn condition(&self) -> Option<sea_orm::sea_query::SimpleExpr> {
        let like = |term: &str| {
            let pattern = format!("%{}%", term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            Expr::col((Entity, Column::SearchText)).like(LikeExpr::new(pattern).escape('\\'))
        };
        match self {
            Self::Everything => None,
            Self::Scanned { term } => Some(like(term)),
            Self::Indexed { term, trigrams } => {
                // The index is asked for the rare trigrams (written into the
                // SQL, see `rows_holding`); `strpos` keeps the exact matches.
                let narrowed =
                    trigrams.iter().fold(Expr::cust_with_values("strpos(\"personalization_requests\".\"search_text\", $1) > 0", [term.clone()]), |all, t| {
                        all.and(Expr::cust(format!("\"personalization_requests\".\"search_text\" LIKE '%{t}%'")))
                    });
                Some(narrowed)
            }
            Self::Narrowed { term, trigrams } => {
                let query = trigrams.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ");
                let narrowed =
                    Expr::cust_with_values("\"personalization_requests\".\"id\" IN (SELECT rowid FROM requests_search WHERE requests_search MATCH ?)", [query]);
                Some(narrowed.and(like(term)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_trimmed_lowered_and_bounded() {
        assert_eq!(term_of("  Cabang 42 "), Some("cabang 42".into()));
        assert_eq!(term_of("   "), None);
        assert_eq!(term_of(&"é".repeat(500)).map(|t| t.chars().count()), Some(MAX_CHARS));
    }

    #[test]
    fn only_lowercase_ascii_letters_and_digits_go_to_pg_trgm() {
        assert!(pg_servable("424") && pg_servable("cab"));
        for t in ["g 4", "0/0", "'%'", "ént", "CAB", "ab", "abcd"] {
            assert!(!pg_servable(t), "{t:?}");
        }
    }

    #[test]
    fn trigrams_are_taken_by_character() {
        assert_eq!(trigrams("ab"), BTreeSet::new());
        assert_eq!(trigrams("abcd"), ["abc", "bcd"].into_iter().map(String::from).collect());
        assert_eq!(trigrams("dé/1").len(), 2);
    }
}
