//! A request follows its submission (`bundled → in_progress → done →
//! received`). Rows written before that rule stayed `bundled` (or `done`)
//! while their submission moved on: bring each to its submission's stage.
//! Plain SQL that both engines run the same; an audit row records the fix,
//! stamped with the submission's last change (a stored timestamp, so its
//! format is the one each engine already reads back).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (request state now, submission state, request state it must be)
const FOLLOW: [(&str, &str, &str); 5] = [
    ("bundled", "in_progress", "in_progress"),
    ("bundled", "done", "done"),
    ("bundled", "received", "received"),
    ("in_progress", "done", "done"),
    ("done", "received", "received"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (from, stage, to) in FOLLOW {
            // The audit row first, while the rows still have their old state.
            db.execute_unprepared(&format!(
                "INSERT INTO audit_events (actor_name, action, subject_type, subject_id, subject_label, from_state, to_state, note, created_at) \
                 SELECT 'sistem', 'request.{to}', 'permintaan', r.id, r.number, '{from}', '{to}', 'disesuaikan dengan status pengajuannya', s.updated_at \
                 FROM personalization_requests r JOIN submissions s ON s.id = r.submission_id WHERE r.status = '{from}' AND s.status = '{stage}'"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "UPDATE personalization_requests SET status = '{to}' \
                 WHERE status = '{from}' AND submission_id IN (SELECT id FROM submissions WHERE status = '{stage}')"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The old rule lost information the new one keeps; nothing to undo.
        Ok(())
    }
}
