//! The sessions this process resolved lately, kept in memory so that a page
//! need not read its session, user and organisation again.
//!
//! Rules:
//! - The database keeps one number, the sign-in generation, which triggers
//!   raise in the transaction of every change that could alter what a
//!   cookie resolves to (a session deleted or its owner, token or age
//!   changed; a user or an organisation changed or deleted), whoever makes
//!   it (migration `000048`). A session's `last_seen_at` written once a
//!   minute does not raise it: a session kept here is read again when its
//!   own copy is a minute old.
//! - A session is kept with the generation read before it was resolved, and
//!   recalled only while the generation is still that number.
//! - The generation is read again after every write transaction of this
//!   process (so its own changes, a logout or a deactivation, show at once)
//!   and otherwise at most [`GENERATION_FOR`] after the last read, which is
//!   how late a change made by another portal process can show here.
//! - When the generation cannot be read, nothing is recalled.
use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, PoisonError},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::Current;

/// How long a read of the generation is trusted while this process writes
/// nothing: the delay after which a change made elsewhere shows here.
pub const GENERATION_FOR: Duration = Duration::from_millis(100);
/// A session is resolved from the database again at least this often.
const KEEP_FOR: Duration = Duration::from_secs(30);
/// Sessions kept per database at most; past it the memory starts afresh.
const MAX_KEPT: usize = 10_000;

struct Generation {
    n: i64,
    read_at: Instant,
    /// This process's write count before the read.
    writes: u64,
}

#[derive(Default)]
struct Memory {
    generation: Option<Generation>,
    /// Token hash → (session, the generation it was resolved under, when).
    kept: HashMap<String, (Arc<Current>, i64, Instant)>,
}

static MEMORIES: LazyLock<Mutex<HashMap<usize, Memory>>> = LazyLock::new(Mutex::default);

fn with_memory<T>(db: &DatabaseConnection, f: impl FnOnce(&mut Memory) -> T) -> T {
    let mut all = MEMORIES.lock().unwrap_or_else(PoisonError::into_inner);
    f(all.entry(crate::models::paging::database_of(db)).or_default())
}

/// The current sign-in generation: as last read when that read is still
/// trusted, else read now; `None` when it cannot be read.
pub async fn generation(db: &DatabaseConnection) -> Option<i64> {
    let writes = crate::models::writes();
    let known = with_memory(db, |m| m.generation.as_ref().filter(|g| g.writes == writes && g.read_at.elapsed() < GENERATION_FOR).map(|g| g.n));
    if known.is_some() {
        return known;
    }
    let backend = db.get_database_backend();
    let read = db.query_one_raw(Statement::from_string(backend, "SELECT n FROM sign_in_generation WHERE id = 1")).await;
    let n = match read.ok().flatten().and_then(|row| row.try_get::<i64>("", "n").ok()) {
        Some(n) => n,
        None => {
            with_memory(db, |m| {
                m.generation = None;
                m.kept.clear();
            });
            return None;
        }
    };
    with_memory(db, |m| {
        if m.generation.as_ref().is_some_and(|g| g.n != n) {
            m.kept.clear();
        }
        m.generation = Some(Generation { n, read_at: Instant::now(), writes });
    });
    Some(n)
}

/// The session of `token_hash`, when it was kept under `generation`.
pub fn recall(db: &DatabaseConnection, token_hash: &str, generation: i64) -> Option<Arc<Current>> {
    with_memory(db, |m| m.kept.get(token_hash).filter(|(_, g, at)| *g == generation && at.elapsed() < KEEP_FOR).map(|(c, _, _)| Arc::clone(c)))
}

/// Keeps `current`, resolved under `generation`.
pub fn keep(db: &DatabaseConnection, token_hash: String, current: &Arc<Current>, generation: i64) {
    with_memory(db, |m| {
        if m.kept.len() >= MAX_KEPT {
            m.kept.clear();
        }
        m.kept.insert(token_hash, (Arc::clone(current), generation, Instant::now()));
    });
}

/// Forgets the session of `token_hash`.
pub fn forget(db: &DatabaseConnection, token_hash: &str) {
    with_memory(db, |m| {
        m.kept.remove(token_hash);
    });
}
