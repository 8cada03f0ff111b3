//! Backup and restore of the whole portal: a consistent snapshot of the
//! database plus every uploaded and archived file, with a manifest that
//! names each file with its size and SHA-256 and the row count of every
//! table in the snapshot.
//!
//! Rules:
//! - The database is copied while the portal runs: SQLite through its online
//!   backup API, PostgreSQL by `pg_dump` of an exported snapshot (the row
//!   counts are read in that same snapshot). Never a file copy of a live
//!   database.
//! - Files are copied after the snapshot: a document row in the snapshot had
//!   its file stored before it committed, so its file is in the backup.
//! - A backup is written into a hidden sibling directory and renamed into
//!   place at the end: a failed backup leaves nothing that looks like one.
//! - A restore checks every hash first, refuses a non-empty database or
//!   upload directory and a backup from a newer version, and compares the
//!   row counts after restoring.
//! - File work and hashing run on the blocking pool.
pub mod postgres;
pub mod sqlite;

use std::{
    collections::BTreeMap,
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "MANIFEST.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const UPLOADS: &str = "uploads";
/// Room kept free beyond the estimate.
const SPARE_BYTES: u64 = 16 * 1024 * 1024;

/// What a backup holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub app_version: String,
    pub created_at: String,
    /// `sqlite` or `postgres`: a backup restores into the same engine.
    pub engine: String,
    pub migrations: Vec<String>,
    pub row_counts: BTreeMap<String, i64>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    #[must_use]
    pub fn total_rows(&self) -> i64 {
        self.row_counts.values().sum()
    }

    #[must_use]
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

type Outcome<T> = Result<T, String>;

fn engine(db: &DatabaseConnection) -> &'static str {
    if db.get_database_backend() == DbBackend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    }
}

/// The file behind a `sqlite://` URL.
fn sqlite_path(uri: &str) -> Outcome<PathBuf> {
    let rest = uri.strip_prefix("sqlite://").or_else(|| uri.strip_prefix("sqlite:")).ok_or_else(|| format!("{uri}: bukan URL SQLite"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Err("database SQLite di memori tidak dapat dicadangkan".into());
    }
    Ok(PathBuf::from(path))
}

/// The tables of `db` (virtual tables are left out: their contents live in
/// shadow tables, which are counted).
async fn tables<C: ConnectionTrait>(db: &C) -> Outcome<Vec<String>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        }
        _ => "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.map_err(|e| format!("daftar tabel: {e}"))?;
    Ok(rows.iter().filter_map(|r| r.try_get::<String>("", "name").ok()).collect())
}

/// Rows per table, read through `db` (a snapshot's transaction or a copy).
async fn row_counts<C: ConnectionTrait>(db: &C) -> Outcome<BTreeMap<String, i64>> {
    let backend = db.get_database_backend();
    let mut counts = BTreeMap::new();
    for table in tables(db).await? {
        let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", table.replace('"', "\"\""));
        let row = db.query_one_raw(Statement::from_string(backend, sql)).await.map_err(|e| format!("menghitung {table}: {e}"))?;
        counts.insert(table, row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0));
    }
    Ok(counts)
}

async fn migrations<C: ConnectionTrait>(db: &C) -> Outcome<Vec<String>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, "SELECT version FROM seaql_migrations ORDER BY version"))
        .await
        .map_err(|e| format!("daftar migrasi: {e}"))?;
    Ok(rows.iter().filter_map(|r| r.try_get::<String>("", "version").ok()).collect())
}

fn hash_file(path: &Path) -> Outcome<(u64, String)> {
    let mut file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            return Ok((size, hex::encode(hasher.finalize())));
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
}

/// Every regular file under `dir`, as paths relative to it (half-written
/// `.part` uploads left out).
fn walk(dir: &Path) -> Outcome<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = match fs::read_dir(dir.join(&rel)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", dir.join(&rel).display())),
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let kind = entry.file_type().map_err(|e| format!("{}: {e}", entry.path().display()))?;
            let name = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(name);
            } else if kind.is_file() && !name.to_string_lossy().ends_with(".part") {
                found.push(name);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn dir_size(dir: &Path) -> u64 {
    walk(dir).unwrap_or_default().iter().filter_map(|p| fs::metadata(dir.join(p)).ok()).map(|m| m.len()).sum()
}

/// Bytes free for an unprivileged writer on the file system of `dir`.
fn free_bytes(dir: &Path) -> Outcome<u64> {
    let c = std::ffi::CString::new(dir.to_string_lossy().as_bytes()).map_err(|_| format!("{}: path contains NUL", dir.display()))?;
    // SAFETY: statvfs fills the zeroed struct for a valid C path.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above; the pointer is to our own stack value.
    if unsafe { libc::statvfs(c.as_ptr(), &raw mut stat) } != 0 {
        return Err(format!("{}: {}", dir.display(), std::io::Error::last_os_error()));
    }
    #[allow(clippy::unnecessary_cast)]
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// `Ok` when the file system of `dir` has `needed` bytes free.
///
/// # Errors
/// A sentence with both figures in MB.
pub fn room_for(dir: &Path, needed: u64) -> Outcome<()> {
    let free = free_bytes(dir)?;
    if free >= needed {
        return Ok(());
    }
    Err(format!(
        "Ruang kosong di {} hanya {} MB, cadangan memerlukan sekitar {} MB; kosongkan ruang atau pilih disk lain.",
        dir.display(),
        free / 1_048_576,
        needed / 1_048_576
    ))
}

/// Copies `from` to `to` (creating its folder), hashing on the way.
fn copy_hashed(from: &Path, to: &Path) -> Outcome<(u64, String)> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut input = fs::File::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut output = fs::File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(|e| format!("{}: {e}", from.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(|e| format!("{}: {e}", to.display()))?;
        size += n as u64;
    }
    output.sync_all().map_err(|e| format!("{}: {e}", to.display()))?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// Copies every upload into `<into>/uploads`, returning manifest entries.
fn copy_uploads(upload_dir: &Path, into: &Path) -> Outcome<Vec<FileEntry>> {
    let mut entries = Vec::new();
    for rel in walk(upload_dir)? {
        let target = into.join(UPLOADS).join(&rel);
        match copy_hashed(&upload_dir.join(&rel), &target) {
            Ok((size, sha256)) => entries.push(FileEntry { path: format!("{UPLOADS}/{}", rel.to_string_lossy()), size, sha256 }),
            // Removed since the walk (a replaced card list): the snapshot no
            // longer needs it either.
            Err(_) if !upload_dir.join(&rel).exists() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(entries)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Outcome<T> + Send + 'static) -> Outcome<T> {
    crate::models::heavy::run(work).await.map_err(|e| format!("blocking task: {e}"))?
}

/// Writes a backup of `db` (at `uri`) and the files under `upload_dir` into
/// `target`, which must not exist or be empty.
///
/// # Errors
/// An Indonesian sentence saying what to fix; nothing is left at `target`.
pub async fn backup(db: &DatabaseConnection, uri: &str, upload_dir: &Path, target: &Path) -> Outcome<Manifest> {
    if target.exists() && fs::read_dir(target).map_err(|e| format!("{}: {e}", target.display()))?.next().is_some() {
        return Err(format!("Direktori {} tidak kosong; pilih direktori baru atau kosong.", target.display()));
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    if !parent.is_dir() {
        return Err(format!("Direktori induk {} tidak ada.", parent.display()));
    }
    let engine = engine(db);
    let db_bytes = if engine == "sqlite" {
        let path = sqlite_path(uri)?;
        fs::metadata(&path).map(|m| m.len()).unwrap_or(0) + fs::metadata(path.with_extension("sqlite-wal")).map(|m| m.len()).unwrap_or(0)
    } else {
        db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_database_size(current_database())::bigint AS n"))
            .await
            .map_err(|e| e.to_string())?
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .map_or(0, |n| u64::try_from(n).unwrap_or(0))
    };
    room_for(parent, db_bytes + dir_size(upload_dir) + SPARE_BYTES)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "cadangan".into());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    let made = write_backup(db, uri, engine, upload_dir, &staging).await;
    let manifest = match made {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if target.exists() {
        fs::remove_dir(target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    fs::rename(&staging, target).map_err(|e| {
        let _ = fs::remove_dir_all(&staging);
        format!("{}: {e}", target.display())
    })?;
    Ok(manifest)
}

async fn write_backup(db: &DatabaseConnection, uri: &str, engine: &'static str, upload_dir: &Path, staging: &Path) -> Outcome<Manifest> {
    let (database_file, row_counts, migrations) = if engine == "sqlite" {
        let (from, to) = (sqlite_path(uri)?, staging.join(SQLITE_FILE));
        let copy_to = to.clone();
        blocking(move || sqlite::copy(&from, &copy_to, "DELETE")).await?;
        let copy = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", to.display())).await.map_err(|e| e.to_string())?;
        let counted = (row_counts(&copy).await?, migrations(&copy).await?);
        copy.close().await.map_err(|e| e.to_string())?;
        (SQLITE_FILE, counted.0, counted.1)
    } else {
        let txn = db
            .begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), Some(sea_orm::AccessMode::ReadOnly))
            .await
            .map_err(|e| format!("snapshot: {e}"))?;
        let snapshot = txn
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_export_snapshot() AS s"))
            .await
            .map_err(|e| format!("snapshot: {e}"))?
            .and_then(|r| r.try_get::<String>("", "s").ok())
            .ok_or("snapshot: no snapshot id")?;
        let counted = (row_counts(&txn).await?, migrations(&txn).await?);
        postgres::dump(uri, &snapshot, &staging.join(PG_FILE)).await?;
        txn.commit().await.map_err(|e| e.to_string())?;
        (PG_FILE, counted.0, counted.1)
    };
    let (uploads, staged) = (upload_dir.to_path_buf(), staging.to_path_buf());
    let mut files = blocking(move || {
        let (size, sha256) = hash_file(&staged.join(database_file))?;
        let mut files = vec![FileEntry { path: database_file.to_string(), size, sha256 }];
        files.extend(copy_uploads(&uploads, &staged)?);
        Ok(files)
    })
    .await?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: 1,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now().to_rfc3339(),
        engine: engine.to_string(),
        migrations,
        row_counts,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    let path = staging.join(MANIFEST);
    blocking(move || {
        let mut f = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(&json).and_then(|()| f.sync_all()).map_err(|e| format!("{}: {e}", path.display()))
    })
    .await?;
    Ok(manifest)
}

/// Reads the manifest of `source` and checks every file against it: each
/// listed file present with its size and SHA-256, nothing unlisted.
///
/// # Errors
/// A sentence naming the first file that does not match.
pub async fn verify(source: &Path) -> Outcome<Manifest> {
    let source = source.to_path_buf();
    blocking(move || {
        let raw = fs::read(source.join(MANIFEST)).map_err(|e| format!("{}: {e} (bukan direktori cadangan SI-FILMA?)", source.join(MANIFEST).display()))?;
        let manifest: Manifest = serde_json::from_slice(&raw).map_err(|e| format!("{MANIFEST} rusak: {e}"))?;
        if manifest.format != 1 {
            return Err(format!("{MANIFEST}: format {} tidak dikenal", manifest.format));
        }
        let mut present: Vec<String> = walk(&source)?.iter().map(|p| p.to_string_lossy().into_owned()).filter(|p| p != MANIFEST).collect();
        for entry in &manifest.files {
            if entry.path.contains("..") || entry.path.starts_with('/') {
                return Err(format!("{MANIFEST}: jalur berkas tidak sah {:?}", entry.path));
            }
            let (size, sha256) = hash_file(&source.join(&entry.path)).map_err(|_| format!("Berkas {} tercantum di manifest tetapi tidak ada.", entry.path))?;
            if size != entry.size || sha256 != entry.sha256 {
                return Err(format!("Berkas {} tidak sama dengan manifest (hash SHA-256 berbeda): cadangan rusak atau diubah.", entry.path));
            }
            present.retain(|p| p != &entry.path);
        }
        if let Some(extra) = present.first() {
            return Err(format!("Berkas {extra} tidak tercantum di manifest: cadangan diubah."));
        }
        Ok(manifest)
    })
    .await
}

/// Restores the backup at `source` into the empty database `db` (at `uri`)
/// and the empty `upload_dir`.
///
/// # Errors
/// An Indonesian sentence; the database and upload directory are left as
/// they were when a check fails.
pub async fn restore(db: &DatabaseConnection, uri: &str, upload_dir: &Path, source: &Path) -> Outcome<Manifest> {
    let manifest = verify(source).await?;
    let engine = engine(db);
    if manifest.engine != engine {
        return Err(format!("Cadangan ini dari database {}, sedangkan tujuan adalah {engine}.", manifest.engine));
    }
    let known: Vec<String> = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().iter().map(|m| m.name().to_string()).collect()
    };
    if let Some(newer) = manifest.migrations.iter().find(|m| !known.contains(m)) {
        return Err(format!("Cadangan dibuat oleh versi SI-FILMA yang lebih baru (migrasi {newer}); pulihkan dengan versi itu."));
    }
    let existing = tables(db).await?;
    if !existing.is_empty() {
        return Err(format!("Database tujuan tidak kosong ({} tabel, mis. {}); pulihkan hanya ke database kosong.", existing.len(), existing[0]));
    }
    if upload_dir.exists() && !walk(upload_dir)?.is_empty() {
        return Err(format!("Direktori unggahan {} tidak kosong; pulihkan hanya ke direktori kosong.", upload_dir.display()));
    }
    if engine == "sqlite" {
        let (from, to) = (source.join(SQLITE_FILE), sqlite_path(uri)?);
        blocking(move || sqlite::copy(&from, &to, "WAL")).await?;
    } else {
        postgres::restore(uri, &source.join(PG_FILE)).await?;
    }
    let (from, to) = (source.join(UPLOADS), upload_dir.to_path_buf());
    let entries: Vec<(String, u64, String)> =
        manifest.files.iter().filter(|f| f.path.starts_with(UPLOADS)).map(|f| (f.path.clone(), f.size, f.sha256.clone())).collect();
    blocking(move || {
        for (path, size, sha256) in entries {
            let rel = path.trim_start_matches(UPLOADS).trim_start_matches('/');
            let copied = copy_hashed(&from.join(rel), &to.join(rel))?;
            if copied != (size, sha256) {
                return Err(format!("Berkas {path} berubah saat disalin."));
            }
        }
        Ok(())
    })
    .await?;
    let restored = row_counts(db).await?;
    if restored != manifest.row_counts {
        let differs: Vec<String> = manifest
            .row_counts
            .iter()
            .filter(|(t, n)| restored.get(*t) != Some(n))
            .map(|(t, n)| format!("{t}: {n} di cadangan, {} setelah pemulihan", restored.get(t).copied().unwrap_or(0)))
            .collect();
        return Err(format!("Jumlah baris tidak sama setelah pemulihan: {}", differs.join("; ")));
    }
    Ok(manifest)
}
