//! Paging shared by every list: the `page` of a query string is parsed once
//! into a bounded type, the rows are counted, and the page asked for is
//! clamped to the last one — no value of `page` can overflow an offset or
//! reach the database unbounded.
use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    sea_query::{PostgresQueryBuilder, SelectStatement, SqliteQueryBuilder},
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryTrait, Select,
};
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

/// A counted total (or another fact about a list) is reused while this
/// process wrote nothing and for at most this long (another process's
/// writes show after it): a list viewed page after page does not count its
/// rows again for every page.
const COUNT_FOR: Duration = Duration::from_secs(5);
/// Lists remembered at most (the map is emptied when full).
const COUNTS_KEPT: usize = 1_000;

/// Facts about lists, by the list's query with its values, remembered as
/// long as [`COUNT_FOR`] and this process's writes allow.
pub struct Remembered<T> {
    map: LazyLock<Mutex<HashMap<String, Noted<T>>>>,
}

/// A remembered fact: this process's writes then, when, the fact.
type Noted<T> = (u64, Instant, T);

impl<T: Clone> Remembered<T> {
    #[must_use]
    pub const fn new() -> Self {
        Self { map: LazyLock::new(|| Mutex::new(HashMap::new())) }
    }

    /// What is remembered of `key`, unless this process wrote since or it is too old.
    pub fn get(&self, key: &str) -> Option<T> {
        let writes = super::writes();
        let map = self.map.lock().ok()?;
        map.get(key).filter(|(at_writes, at, _)| *at_writes == writes && at.elapsed() < COUNT_FOR).map(|(_, _, v)| v.clone())
    }

    /// Remembers `value` for `key` as of now.
    pub fn put(&self, key: String, value: T) {
        self.put_as_of(key, super::writes(), value);
    }

    /// Remembers `value` for `key` as read when this process had begun
    /// `writes` write transactions (a value read before a write is not
    /// taken for one read after it).
    pub fn put_as_of(&self, key: String, writes: u64, value: T) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= COUNTS_KEPT {
                map.clear();
            }
            map.insert(key, (writes, Instant::now(), value));
        }
    }
}

impl<T: Clone> Default for Remembered<T> {
    fn default() -> Self {
        Self::new()
    }
}

static COUNTS: Remembered<u64> = Remembered::new();

/// The key under which facts about the list `q` are remembered: the query
/// with its values, on this database (a process may hold several, as tests do).
pub fn key_of<Q: QueryTrait>(db: &DatabaseConnection, q: &Q) -> String {
    let statement = q.build(db.get_database_backend());
    // The SQL as it is (escaping it for `Debug` cost more than the query's planning).
    format!("{:x} {} {:?}", database_of(db), statement.sql, statement.values)
}

/// Which database `db` is, for keys of remembered facts.
#[must_use]
pub fn database_of(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DbBackend::Sqlite => Arc::as_ptr(&db.get_sqlite_connection_pool().connect_options()) as usize,
        DbBackend::Postgres => Arc::as_ptr(&db.get_postgres_connection_pool().connect_options()) as usize,
        _ => 0,
    }
}

/// The number of rows of `q`, counted at most once per [`COUNT_FOR`] and
/// per write of this process.
///
/// # Errors
/// On database failure.
pub async fn count<'db, Q>(db: &'db DatabaseConnection, q: &Q) -> AppResult<u64>
where
    Q: QueryTrait + PaginatorTrait<'db, DatabaseConnection> + Clone + Send,
{
    let key = key_of(db, q);
    remembered(&COUNTS, key, || async { Ok(q.clone().count(db).await?) }).await
}

/// The number `compute` counts for `key` (a list's total found another
/// way than counting its rows), remembered like [`count`]'s.
///
/// # Errors
/// What `compute` answers.
pub async fn total<F, Fut>(key: String, compute: F) -> AppResult<u64>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<u64>>,
{
    remembered(&COUNTS, key, compute).await
}

/// What `compute` gives for `key`, remembered in `facts` while
/// [`Remembered`] allows. One computation per key at a time: requests
/// arriving while it runs wait for its result instead of reading the same
/// rows again (after each write every viewer of a big list would otherwise
/// count at once).
async fn remembered<T, F, Fut>(facts: &Remembered<T>, key: String, compute: F) -> AppResult<T>
where
    T: Clone,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    if let Some(fact) = facts.get(&key) {
        return Ok(fact);
    }
    let flight = {
        let mut flights = FLIGHTS.lock().map_err(|_| super::AppError::Internal("count flights poisoned".into()))?;
        if flights.len() >= COUNTS_KEPT {
            flights.retain(|_, f| Arc::strong_count(f) > 1);
        }
        flights.entry(key.clone()).or_default().clone()
    };
    let _turn = flight.lock().await;
    if let Some(fact) = facts.get(&key) {
        return Ok(fact);
    }
    let writes = super::writes();
    let fact = compute().await?;
    facts.put_as_of(key, writes, fact.clone());
    Ok(fact)
}

/// The computation in flight per key (see [`remembered`]).
static FLIGHTS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Where deep pages of a list start: row offset → the sort key of that row.
/// A page is then found from the nearest known start instead of walking the
/// index from either end (see `requests::ListQuery::page`).
pub struct Marks<K> {
    known: Remembered<std::collections::BTreeMap<u64, K>>,
}

impl<K: Clone> Marks<K> {
    #[must_use]
    pub const fn new() -> Self {
        Self { known: Remembered::new() }
    }

    /// The known start nearest below (or at) `offset`.
    pub fn below(&self, key: &str, offset: u64) -> Option<(u64, K)> {
        self.known.get(key)?.range(..=offset).next_back().map(|(at, k)| (*at, k.clone()))
    }

    /// Remembers that row `offset` of the list has the sort key `k`.
    pub fn note(&self, key: &str, offset: u64, k: K) {
        let mut known = self.known.get(key).unwrap_or_default();
        if known.len() >= 256 {
            known.clear();
        }
        known.insert(offset, k);
        self.known.put(key.to_string(), known);
    }
}

impl<K: Clone> Default for Marks<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// `table.column IN (ids LIMIT limit OFFSET offset)`, the limit and offset
/// written into the SQL instead of bound. PostgreSQL plans a statement with
/// a bound LIMIT anew at every execution (a plan made for any LIMIT would
/// read the whole list), which cost 0.4 ms of planning per page for 0.1 ms
/// of work; with both written in, it keeps one plan per statement. `ids`
/// must carry no limit or offset of its own; its values are the
/// condition's, numbered from the first (PostgreSQL's `$1`), so the
/// condition is the statement's only one with values.
#[must_use]
pub fn in_window(backend: DbBackend, table: &str, column: &str, ids: &SelectStatement, limit: u64, offset: u64) -> (String, Vec<sea_orm::Value>) {
    let (sql, values) = built(backend, ids);
    (format!("\"{table}\".\"{column}\" IN ({sql} LIMIT {limit} OFFSET {offset})"), values.0)
}

/// `ids`' own WHERE and ORDER BY, with `limit` and `offset` written in (see
/// [`in_window`]): what follows a SELECT of `table` (and of tables joined
/// to it) to read the window's rows straight from `table` in `ids`' order.
/// None when `ids` reads more than `table`. Its values are numbered from
/// the first, as [`in_window`]'s.
#[must_use]
pub fn ordered_window(backend: DbBackend, table: &str, ids: &SelectStatement, limit: u64, offset: u64) -> Option<(String, Vec<sea_orm::Value>)> {
    let (sql, values) = built(backend, ids);
    let (_, rest) = sql.split_once(&format!(" FROM \"{table}\" "))?;
    (rest.starts_with("WHERE ") || rest.starts_with("ORDER BY ")).then(|| (format!("{rest} LIMIT {limit} OFFSET {offset}"), values.0))
}

/// `ids` in `backend`'s SQL, its values numbered from the first.
fn built(backend: DbBackend, ids: &SelectStatement) -> (String, sea_orm::sea_query::Values) {
    match backend {
        DbBackend::Postgres => ids.build(PostgresQueryBuilder),
        _ => ids.build(SqliteQueryBuilder),
    }
}

/// The rows of `window` of the ordered query `q`, its LIMIT and OFFSET
/// written into the SQL (see [`in_window`] for why).
///
/// # Errors
/// On database failure.
pub async fn rows_in<E, C>(db: &C, q: Select<E>, window: &Window) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut statement = q.build(db.get_database_backend());
    statement.sql.push_str(&format!(" LIMIT {} OFFSET {}", window.per_page, window.offset()));
    Ok(E::find().from_raw_sql(statement).all(db).await?)
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

    #[test]
    fn a_window_writes_its_limit_and_offset_and_keeps_the_subquerys_values_bound() {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let ids = Query::select().column(Alias::new("id")).from(Alias::new("t")).and_where(Expr::col(Alias::new("owner")).eq(7)).to_owned();
        for (backend, inner) in [(DbBackend::Postgres, "\"owner\" = $1"), (DbBackend::Sqlite, "\"owner\" = ?")] {
            let (sql, values) = in_window(backend, "t", "id", &ids, 20, 40);
            assert_eq!(sql, format!("\"t\".\"id\" IN (SELECT \"id\" FROM \"t\" WHERE {inner} LIMIT 20 OFFSET 40)"));
            assert_eq!(values, vec![sea_orm::Value::from(7)], "{sql}");
        }
    }

    #[test]
    fn an_ordered_window_is_the_querys_own_tail_and_none_for_a_join() {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
        let ids = Query::select()
            .column((Alias::new("t"), Alias::new("id")))
            .from(Alias::new("t"))
            .and_where(Expr::col((Alias::new("t"), Alias::new("owner"))).eq(7))
            .order_by((Alias::new("t"), Alias::new("id")), Order::Desc)
            .to_owned();
        let (tail, values) = ordered_window(DbBackend::Postgres, "t", &ids, 20, 0).expect("one table");
        assert_eq!(tail, "WHERE \"t\".\"owner\" = $1 ORDER BY \"t\".\"id\" DESC LIMIT 20 OFFSET 0");
        assert_eq!(values, vec![sea_orm::Value::from(7)]);
        let joined =
            ids.clone().inner_join(Alias::new("u"), Expr::col((Alias::new("u"), Alias::new("id"))).equals((Alias::new("t"), Alias::new("owner")))).to_owned();
        assert_eq!(ordered_window(DbBackend::Postgres, "t", &joined, 20, 0), None);
    }
}
