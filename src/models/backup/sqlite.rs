//! SQLite's online backup API: a consistent copy of a live database, page
//! by page, while other connections keep reading and writing (a plain file
//! copy of a live database in WAL mode can tear).
use std::{ffi::CString, path::Path, ptr, time::Duration};

use libsqlite3_sys as ffi;

/// Pages copied per step; between steps writers get the database back.
const PAGES_PER_STEP: i32 = 4096;

struct Handle(*mut ffi::sqlite3);

impl Handle {
    fn open(path: &Path, flags: i32) -> Result<Self, String> {
        let c = CString::new(path.to_string_lossy().as_bytes()).map_err(|_| format!("{}: path contains NUL", path.display()))?;
        let mut db = ptr::null_mut();
        // SAFETY: `c` is a valid C string, `db` an out-pointer; the handle is
        // closed by `Drop` whatever `open_v2` returned.
        let rc = unsafe { ffi::sqlite3_open_v2(c.as_ptr(), &raw mut db, flags, ptr::null()) };
        let handle = Self(db);
        if rc != ffi::SQLITE_OK {
            return Err(format!("{}: {}", path.display(), handle.message()));
        }
        // SAFETY: an open handle.
        unsafe { ffi::sqlite3_busy_timeout(handle.0, 5_000) };
        Ok(handle)
    }

    fn message(&self) -> String {
        if self.0.is_null() {
            return "out of memory".into();
        }
        // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the handle.
        unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(self.0)) }.to_string_lossy().into_owned()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: closing a handle sqlite3_open_v2 gave us (NULL is a no-op).
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

/// Copies the database at `from` into `to` (created or overwritten) through
/// the backup API, then sets the copy's journal mode to `journal` (`DELETE`
/// for a backup file: a WAL-mode file would grow `-wal`/`-shm` companions
/// as soon as it is read). Blocking: run it on the blocking pool.
///
/// # Errors
/// A sentence naming the file and SQLite's message.
pub fn copy(from: &Path, to: &Path, journal: &str) -> Result<(), String> {
    let source = Handle::open(from, ffi::SQLITE_OPEN_READONLY)?;
    let target = Handle::open(to, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE)?;
    let main = c"main";
    // SAFETY: both handles are open for the whole backup; the backup object
    // is finished before they are dropped.
    let backup = unsafe { ffi::sqlite3_backup_init(target.0, main.as_ptr(), source.0, main.as_ptr()) };
    if backup.is_null() {
        return Err(format!("backup {} → {}: {}", from.display(), to.display(), target.message()));
    }
    let outcome = loop {
        // SAFETY: `backup` is live until `sqlite3_backup_finish` below.
        match unsafe { ffi::sqlite3_backup_step(backup, PAGES_PER_STEP) } {
            ffi::SQLITE_DONE => break Ok(()),
            ffi::SQLITE_OK => {}
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => std::thread::sleep(Duration::from_millis(20)),
            rc => break Err(format!("backup {} → {}: SQLite error {rc}", from.display(), to.display())),
        }
    };
    // SAFETY: finishing the live backup object exactly once.
    let rc = unsafe { ffi::sqlite3_backup_finish(backup) };
    outcome?;
    if rc != ffi::SQLITE_OK {
        return Err(format!("backup {} → {}: {}", from.display(), to.display(), target.message()));
    }
    let pragma = CString::new(format!("PRAGMA journal_mode = {journal}")).map_err(|_| "journal mode contains NUL".to_string())?;
    // SAFETY: an open handle and a valid statement; no callback.
    let rc = unsafe { ffi::sqlite3_exec(target.0, pragma.as_ptr(), None, ptr::null_mut(), ptr::null_mut()) };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(format!("{}: journal mode {journal}: {}", to.display(), target.message()))
    }
}
