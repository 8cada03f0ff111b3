//! Issue 15 (Surat Balasan Aktivasi), the archive's schema: a document
//! belongs to a submission or to an activation request, exactly one; the
//! migration that made `submission_id` nullable keeps every row, its id,
//! the id counter and the indexes (SQLite rebuilds the table), and undoes
//! itself.
use chrono::Utc;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, ModelTrait, Statement};
use sifilma::models::{
    _entities::{activation_requests, documents},
    documents::DocStatus,
};

use crate::support::{admin, with_app};

const MIGRATION: &str = "m20261201_000045_activation_documents";

fn document(number: &str, submission: Option<i32>, activation: Option<i32>, by: i32) -> documents::ActiveModel {
    documents::ActiveModel {
        submission_id: Set(submission),
        activation_request_id: Set(activation),
        kind: Set(if activation.is_some() { "activation_reply" } else { "bast" }.into()),
        number: Set(number.into()),
        status: Set(DocStatus::Ready),
        verify_code: Set("ABCDEF0123456789".into()),
        sha256: Set(Some("0".repeat(64))),
        file_key: Set(Some("1".repeat(32))),
        file_name: Set(format!("{number}.docx")),
        file_size: Set(Some(1234)),
        created_by: Set(by),
        created_at: Set(Utc::now().into()),
        ready_at: Set(Some(Utc::now().into())),
        ..Default::default()
    }
}

async fn index_names(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT name AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        _ => "SELECT indexname::text AS n FROM pg_indexes WHERE tablename = 'documents' AND indexname <> 'documents_pkey' ORDER BY indexname",
    };
    db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap().iter().map(|r| r.try_get::<String>("", "n").unwrap()).collect()
}

#[tokio::test]
async fn a_document_has_one_owner_and_the_migration_keeps_rows_ids_and_indexes() {
    with_app(|_server, ctx| async move {
        let admin = admin(&ctx).await;
        let now = Utc::now();
        let request = activation_requests::ActiveModel {
            applicant_id: Set(admin.organisation_id.unwrap()),
            institution_id: Set(admin.organisation_id.unwrap()),
            created_by: Set(admin.id),
            letter_number: Set("470/AKT/2026".into()),
            letter_date: Set(now.date_naive()),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(1000),
            status: Set("approved".into()),
            reply_number: Set(Some("AKT-2026-00001".into())),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();

        // Exactly one owner.
        assert!(document("X-1", None, None, admin.id).insert(&ctx.db).await.is_err(), "a document without an owner");
        assert!(document("X-2", Some(7), Some(request.id), admin.id).insert(&ctx.db).await.is_err(), "a document with two owners");
        assert!(document("X-3", None, Some(request.id + 1000), admin.id).insert(&ctx.db).await.is_err(), "an activation request that does not exist");

        let kept = document("SAM-2026-00001", Some(7), None, admin.id).insert(&ctx.db).await.unwrap();
        let gone = document("SAM-2026-00002", Some(7), None, admin.id).insert(&ctx.db).await.unwrap();
        gone.clone().delete(&ctx.db).await.unwrap();
        let reply = document("AKT-2026-00001", None, Some(request.id), admin.id).insert(&ctx.db).await.unwrap();
        let before = index_names(&ctx.db).await;
        assert_eq!(before, ["idx-documents-activation-request", "idx-documents-submission", "uniq-documents-number"]);

        // Undo this migration (and any later one), then run them all again.
        let since = Migrator::migrations().iter().rev().position(|m| m.name() == MIGRATION).expect("the migration") + 1;
        Migrator::down(&ctx.db, Some(u32::try_from(since).unwrap())).await.unwrap();
        assert_eq!(index_names(&ctx.db).await, ["idx-documents-submission", "uniq-documents-number"]);
        let backend = ctx.db.get_database_backend();
        let rows = ctx.db.query_all_raw(Statement::from_string(backend, "SELECT id FROM documents ORDER BY id")).await.unwrap();
        let ids: Vec<i32> = rows.iter().map(|r| r.try_get::<i32>("", "id").unwrap()).collect();
        assert_eq!(ids, [kept.id], "the activation request's document has no place in the old table");
        Migrator::up(&ctx.db, None).await.unwrap();

        assert_eq!(index_names(&ctx.db).await, before, "the indexes are back");
        let again = documents::Entity::find_by_id(kept.id).one(&ctx.db).await.unwrap().expect("the row survives");
        assert_eq!(again, kept, "every column as it was");
        assert!(document("SAM-2026-00001", Some(8), None, admin.id).insert(&ctx.db).await.is_err(), "numbers are still unique");
        assert!(document("X-4", None, None, admin.id).insert(&ctx.db).await.is_err(), "still one owner");
        let next = document("AKT-2026-00001", None, Some(request.id), admin.id).insert(&ctx.db).await.unwrap();
        assert!(next.id > reply.id && next.id > gone.id, "ids are never reused: {} after {}", next.id, reply.id);
    })
    .await;
}
