//! PostgreSQL through its own tools: `pg_dump --format=custom` of an
//! exported snapshot (the row counts of the manifest are read in that same
//! snapshot), `pg_restore` in one transaction.
//!
//! Rule: the password never appears on a command line (where `ps` shows
//! it): the URL is taken apart and the password handed over in
//! `PGPASSWORD`.
use std::path::{Path, PathBuf};

use tokio::process::Command;

/// `pg_dump`/`pg_restore`: `$PG_BIN/<tool>` when set, else the newest
/// Debian cluster's, else `PATH` (a dump needs a tool at least as new as
/// the server).
fn tool(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Path::new(&dir).join(name);
    }
    let mut found: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().flatten().map(|e| e.path().join("bin").join(name)).filter(|p| p.is_file()).collect();
    found.sort_by_key(|p| p.components().nth(3).and_then(|c| c.as_os_str().to_str()).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0));
    found.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// A tool invocation for the database at `uri`, password in the environment.
fn command(name: &str, uri: &str) -> Result<Command, String> {
    let mut url = url::Url::parse(uri).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let password = url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    let _ = url.set_password(None);
    let mut cmd = Command::new(tool(name));
    cmd.arg(format!("--dbname={url}")).kill_on_drop(true);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    Ok(cmd)
}

async fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().await.map_err(|e| format!("{what}: cannot start ({e}); install the PostgreSQL client tools or set PG_BIN"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Dumps the snapshot `snapshot` (from `pg_export_snapshot()`, whose
/// transaction must stay open meanwhile) of `uri` into `file`.
///
/// # Errors
/// pg_dump's own message.
pub async fn dump(uri: &str, snapshot: &str, file: &Path) -> Result<(), String> {
    let mut cmd = command("pg_dump", uri)?;
    cmd.args(["--format=custom", "--no-owner", "--no-privileges"]).arg(format!("--snapshot={snapshot}")).arg(format!("--file={}", file.display()));
    run(cmd, "pg_dump").await
}

/// Restores `file` into the (empty) database at `uri`, all or nothing.
///
/// # Errors
/// pg_restore's own message (nothing restored then).
pub async fn restore(uri: &str, file: &Path) -> Result<(), String> {
    let mut cmd = command("pg_restore", uri)?;
    cmd.args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]).arg(file);
    run(cmd, "pg_restore").await
}
