//! `housekeeping`: one run of what worker processes do every hour (see
//! `models::housekeeping`), with what was removed printed.
use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use super::refused;
use crate::{
    models::{audit_events::Actor, housekeeping, job_queue},
    settings::Settings,
};

pub struct Housekeeping;

#[async_trait]
impl Task for Housekeeping {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "housekeeping".into(), detail: "hapus sesi kedaluwarsa, kegagalan login lama, email terkirim lama, job antrean selesai".into() }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> Result<()> {
        let retention = Settings::get(ctx).retention.clone();
        let removed = housekeeping::run(&ctx.db, &retention, &Actor::console()).await.map_err(refused)?;
        println!("Dihapus: {}.", removed.summary());
        if let Some(queue) = &ctx.config.queue {
            match job_queue::purge_once(queue, retention.finished_jobs_hours).await {
                Ok(Some(jobs)) => println!("Dihapus: {jobs} job antrean yang sudah selesai."),
                Ok(None) => {}
                Err(err) => return Err(super::failed(format!("antrean job: {err}"))),
            }
        }
        Ok(())
    }
}
