//! `backup dir:<target>` and `restore dir:<backup>` (see `models::backup`).
use std::{path::Path, time::Instant};

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use super::{arg, failed};
use crate::{
    models::{
        audit_events::{Action, Actor, Event},
        backup,
    },
    settings::Settings,
};

pub struct Backup;

#[async_trait]
impl Task for Backup {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "backup".into(),
            detail: "cadangan konsisten database + berkas unggahan/dokumen, dengan MANIFEST SHA-256: dir:<direktori baru>".into(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let dir = arg(vars, "dir", "cargo loco task backup dir:<direktori baru atau kosong>")?;
        let started = Instant::now();
        let settings = Settings::get(ctx);
        let manifest = backup::backup(&ctx.db, &ctx.config.database.uri, Path::new(&settings.upload_dir), Path::new(dir)).await.map_err(failed)?;
        let note = format!("{} berkas, {} baris, ke {dir}", manifest.files.len(), manifest.total_rows());
        let txn = crate::models::begin_write(&ctx.db).await.map_err(|e| failed(e.to_string()))?;
        Event::new(Action::BackupMade, "system").note(note).record(&txn, &Actor::console()).await.map_err(|e| failed(e.to_string()))?;
        txn.commit().await.map_err(|e| failed(e.to_string()))?;
        println!(
            "Cadangan tersimpan di {dir}: database {} ({} tabel, {} baris), {} berkas, {:.1} MB, dalam {:.1} s.",
            manifest.engine,
            manifest.row_counts.len(),
            manifest.total_rows(),
            manifest.files.len(),
            manifest.total_bytes() as f64 / 1_048_576.0,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

pub struct Restore;

#[async_trait]
impl Task for Restore {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "restore".into(), detail: "pulihkan cadangan ke database dan direktori unggahan yang kosong: dir:<direktori cadangan>".into() }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let dir = arg(vars, "dir", "cargo loco task restore dir:<direktori cadangan>")?;
        let started = Instant::now();
        let settings = Settings::get(ctx);
        let manifest = backup::restore(&ctx.db, &ctx.config.database.uri, Path::new(&settings.upload_dir), Path::new(dir)).await.map_err(failed)?;
        println!(
            "Cadangan {dir} (dibuat {}) dipulihkan: {} tabel, {} baris sama dengan manifest, {} berkas terverifikasi, dalam {:.1} s.",
            manifest.created_at,
            manifest.row_counts.len(),
            manifest.total_rows(),
            manifest.files.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
