//! Issue 16 (5): `backup` under write load and `restore` into an empty
//! database and upload directory — every row count matches, every archived
//! document still verifies on /verifikasi by its hash; a changed byte, a
//! non-empty target or a non-empty backup directory are refused and change
//! nothing.
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
};

use axum_test::TestServer;
use loco_rs::{boot::run_task, task::Vars};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sha2::{Digest, Sha256};
use sifilma::{
    app::App,
    models::{
        _entities::{documents, personalization_requests as requests},
        audit_events::{Action, Actor, Event},
        backup::{Manifest, MANIFEST},
    },
};

use crate::support::{boot_with, with_app_config, Client};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("sifilma-backup-tests").join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

fn uploads_at(dir: &Path) -> impl FnOnce(&mut loco_rs::config::Config) + '_ {
    move |c| {
        c.settings.as_mut().expect("settings block")["upload_dir"] = serde_json::json!(dir.display().to_string());
    }
}

async fn task(ctx: &loco_rs::app::AppContext, name: &str, dir: &Path) -> loco_rs::Result<()> {
    run_task::<App>(ctx, Some(&name.to_string()), &Vars::from_cli_args(vec![("dir".into(), dir.display().to_string())])).await
}

/// Received, and BAST, card list and reply letter archived.
async fn archived_documents(server: &TestServer, ctx: &loco_rs::app::AppContext) -> i32 {
    let id = crate::support::scenario::received_submission(server, ctx).await;
    let a = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap().id;
    let mut nyra = Client::signed_in(server, "pt_nyra").await;
    nyra.get(&format!("/bast/{id}")).await;
    let r = nyra.post(&format!("/bast/{id}/cetak"), &[(&format!("bast_{a}"), "1"), (&format!("list_{a}"), "1"), ("reply", "1")]).await;
    assert_eq!(r.status_code(), 303, "{}", r.text());
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_whole_and_every_document_still_verifies() {
    let (uploads, restored_uploads, target) = (scratch("uploads"), scratch("restored-uploads"), scratch("cadangan"));
    let (uploads_in, target_in, restored_in) = (uploads.clone(), target.clone(), restored_uploads.clone());
    with_app_config(uploads_at(&uploads_in), |server, ctx| async move {
        archived_documents(&server, &ctx).await;
        let ready = documents::Entity::find().filter(documents::Column::Status.eq("ready")).all(&ctx.db).await.unwrap();
        assert_eq!(ready.len(), 3, "BAST, card list and reply letter archived");

        // Writers keep writing while the backup runs.
        let (stop, written) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let load = {
            let (db, stop, written) = (ctx.db.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    Event::new(Action::Housekeeping, "system").note("beban tulis uji").record(&db, &Actor::system()).await.unwrap();
                    written.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        task(&ctx, "backup", &target_in).await.expect("backup");
        stop.store(true, Ordering::Relaxed);
        load.await.unwrap();
        assert!(written.load(Ordering::Relaxed) > 10, "the load ran during the backup");

        let manifest: Manifest = serde_json::from_slice(&std::fs::read(target_in.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest.row_counts["documents"], 3);
        assert!(manifest.row_counts["audit_events"] > 0);
        for doc in &ready {
            let file = manifest.files.iter().find(|f| f.path.ends_with(doc.file_key.as_deref().unwrap())).expect("every archived document is in the backup");
            assert_eq!(Some(&file.sha256), doc.sha256.as_ref());
        }
        assert!(!target_in.parent().unwrap().read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".partial")), "no staging left");

        // Bad input: a backup into a non-empty directory.
        let refused = task(&ctx, "backup", &target_in).await.expect_err("non-empty target");
        assert!(refused.to_string().contains("tidak kosong"), "{refused}");
        // Restoring over the live (non-empty) database.
        let refused = task(&ctx, "restore", &target_in).await.expect_err("non-empty database");
        assert!(refused.to_string().contains("tidak kosong"), "{refused}");
    })
    .await;

    // A copy with one changed byte is refused before anything is written.
    let tampered = scratch("tampered");
    copy_dir(&target, &tampered);
    let victim = std::fs::read_dir(tampered.join("uploads"))
        .unwrap()
        .flatten()
        .flat_map(|area| std::fs::read_dir(area.path()).unwrap().flatten())
        .next()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&victim, bytes).unwrap();

    let restored = boot_with(|c| {
        c.database.auto_migrate = false;
        uploads_at(&restored_in)(c);
    })
    .await;
    let ctx = restored.app_context.clone();
    let refused = task(&ctx, "restore", &tampered).await.expect_err("tampered");
    assert!(refused.to_string().contains("tidak sama dengan manifest"), "{refused}");
    assert!(!restored_uploads.exists() || std::fs::read_dir(&restored_uploads).unwrap().next().is_none(), "nothing restored");

    task(&ctx, "restore", &target).await.expect("restore");
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(target.join(MANIFEST)).unwrap()).unwrap();
    assert_eq!(documents::Entity::find().count(&ctx.db).await.unwrap(), 3);
    let server = TestServer::new(restored.router.clone().unwrap().into_make_service_with_connect_info::<std::net::SocketAddr>()).unwrap();
    for doc in documents::Entity::find().all(&ctx.db).await.unwrap() {
        let hash = doc.sha256.clone().unwrap();
        let page = server.get(&format!("/verifikasi?nomor={}&kode={hash}", doc.number)).await;
        assert_eq!(page.status_code(), 200, "{} verifies after the restore", doc.number);
        let file = std::fs::read(restored_uploads.join("documents").join(doc.file_key.unwrap())).expect("archived file restored");
        assert_eq!(hex::encode(Sha256::digest(&file)), hash);
    }
    assert_eq!(manifest.row_counts.len(), manifest.row_counts.keys().count());
    let again = task(&ctx, "restore", &target).await.expect_err("twice");
    assert!(again.to_string().contains("tidak kosong"), "{again}");
    for dir in [&uploads, &restored_uploads, &target, &tampered] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_backup_needing_more_room_than_the_disk_has_is_refused_with_both_figures() {
    let dir = std::env::temp_dir();
    assert!(sifilma::models::backup::room_for(&dir, 1).is_ok());
    let refused = sifilma::models::backup::room_for(&dir, u64::MAX / 2).expect_err("no disk is that large");
    assert!(refused.starts_with("Ruang kosong di ") && refused.contains("MB, cadangan memerlukan sekitar"), "{refused}");
}
