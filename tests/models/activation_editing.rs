//! Issue 15 (edit while new): the applicant who filed a Permohonan
//! Aktivasi changes its letter and replaces its readers while it waits for
//! the disposition; its own lines bind nothing against it, other requests'
//! lines do; a decided or withdrawn request, or anyone else, changes
//! nothing.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::{
    _entities::{activation_requests, audit_events, cards},
    activations::{
        editing::{edit, editable, Changes, Files, NewLetter},
        lifecycle::{approve, end, file, Letter},
        readers::ReaderInput,
        RequestStatus,
    },
    uploads, AppError,
};

use crate::support::{
    fixtures::pdf,
    scenario::{received_submission, user},
    with_app,
};

const IP: &str = "127.0.0.1";

fn letter(n: &str, key: &str) -> Letter {
    crate::support::fixtures::activation_letter(n, key)
}

fn changes(number: &str, lines: Vec<ReaderInput>) -> Changes {
    Changes { letter_number: number.into(), letter_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), letter: None, lines }
}

async fn lines_of(ctx: &loco_rs::app::AppContext, id: i32) -> Vec<(String, String, String)> {
    crate::support::fixtures::reader_rows(ctx, id).await.into_iter().map(|r| (r.sam_serial, r.reader_serial, r.status)).collect()
}

#[tokio::test]
async fn the_applicant_replaces_the_lines_of_a_new_request_and_nobody_else_changes_anything() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all: Vec<cards::Model> = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let line = |row: usize, serial: &str, reader: &str| crate::support::fixtures::reader_line(&all, row, serial, reader);
        let (bank, nyra, xyz, admin) =
            (user(&ctx, "bank_abc").await, user(&ctx, "pt_nyra").await, user(&ctx, "bank_xyz").await, user(&ctx, "admin_pusat").await);
        let institution = bank.organisation_id.unwrap();
        let dir = std::env::temp_dir().join(format!("sifilma-edit-{}", uuid::Uuid::new_v4().simple()));
        let dir_s = dir.to_string_lossy().to_string();
        let files = Files { dir: &dir_s, area: "activations" };
        let old_key = uploads::store(&dir_s, "activations", &pdf()).await.unwrap();

        let first = file(&ctx.db, &bank, institution, &letter("AKT/1", &old_key), &[line(1, "0SAM00000001", "CR-1"), line(2, "0SAM00000002", "CR-2")], IP)
            .await
            .unwrap()
            .unwrap();
        let other = file(&ctx.db, &bank, institution, &letter("AKT/2", &"0".repeat(32)), &[line(1, "0SAM00000004", "CR-4")], IP).await.unwrap().unwrap();

        // Nobody but the applicant: not found, nothing changed.
        for outsider in [&nyra, &xyz, &admin] {
            assert!(matches!(editable(&ctx.db, outsider, first).await, Err(AppError::NotFound)), "{}", outsider.username);
            let r = edit(&ctx.db, files, outsider, first, changes("AKT/X", vec![line(1, "0SAM00000003", "CR-3")]), IP).await;
            assert!(matches!(r, Err(AppError::NotFound)), "{}", outsider.username);
        }
        let (_, shown) = editable(&ctx.db, &bank, first).await.unwrap();
        assert_eq!(
            shown.iter().map(|l| (l.row, l.sam_serial.as_str(), l.reader_type.as_str())).collect::<Vec<_>>(),
            vec![(1, "0SAM00000001", "Type IdGlobalScan GSX-01"), (2, "0SAM00000002", "Type IdGlobalScan GSX-01")]
        );

        // Another request's SAM is bound: refused per row, the old lines intact.
        let refused = edit(&ctx.db, files, &bank, first, changes("AKT/1-REV", vec![line(1, "0SAM00000002", "CR-2"), line(2, "0SAM00000004", "CR-9")]), IP)
            .await
            .unwrap()
            .expect_err("bound by the other request");
        assert_eq!(
            refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["Baris 2: Kartu SAM 0SAM00000004 sudah terikat pada aktivasi lain yang masih berlaku."]
        );
        assert_eq!(lines_of(&ctx, first).await.len(), 2);
        assert_eq!(activation_requests::Entity::find_by_id(first).one(&ctx.db).await.unwrap().unwrap().letter_number, "AKT/1");

        // Its own SAM and S/N (0SAM00000002, CR-2) are no conflict; the
        // letter is replaced and the old file removed.
        let mut c = changes("AKT/1-REV", vec![line(1, "0SAM00000002", "CR-2"), line(2, "0SAM00000003", "CR-3")]);
        c.letter = Some(NewLetter { bytes: pdf(), kind: "pdf".into(), file_name: "surat-baru.pdf".into() });
        edit(&ctx.db, files, &bank, first, c, IP).await.unwrap().expect("its own lines bind nothing against it");
        assert_eq!(
            lines_of(&ctx, first).await,
            vec![("0SAM00000002".into(), "CR-2".into(), "pending".into()), ("0SAM00000003".into(), "CR-3".into(), "pending".into())]
        );
        let r = activation_requests::Entity::find_by_id(first).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(
            (r.letter_number.as_str(), r.letter_date.to_string().as_str(), r.status.as_str(), r.file_name.as_str()),
            ("AKT/1-REV", "2026-11-21", "new", "surat-baru.pdf")
        );
        assert_ne!(r.file_key, old_key);
        assert!(!dir.join("activations").join(&old_key).exists(), "the replaced letter is removed");
        assert!(dir.join("activations").join(&r.file_key).exists());
        // The SAM it let go is free again.
        file(&ctx.db, &bank, institution, &letter("AKT/3", &"0".repeat(32)), &[line(1, "0SAM00000001", "CR-1")], IP).await.unwrap().expect("freed");

        // No lines: the current ones are kept (and checked again).
        edit(&ctx.db, files, &bank, first, changes("AKT/1-REV2", Vec::new()), IP).await.unwrap().unwrap();
        assert_eq!(lines_of(&ctx, first).await.len(), 2);
        let audited = audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("activation.edited"))
            .filter(audit_events::Column::SubjectId.eq(first))
            .count(&ctx.db)
            .await
            .unwrap();
        assert_eq!(audited, 2);

        // Decided or withdrawn: a conflict, nothing changed.
        approve(&ctx.db, &admin, first, IP).await.unwrap();
        let late = edit(&ctx.db, files, &bank, first, changes("AKT/LATE", vec![line(1, "0SAM00000005", "CR-5")]), IP).await;
        match late {
            Err(AppError::Conflict(m)) => assert_eq!(m, "Permohonan AKT/1-REV2 sudah disetujui; tidak dapat diubah."),
            other => panic!("{other:?}"),
        }
        assert!(lines_of(&ctx, first).await.iter().all(|(_, _, status)| status == "active"));
        end(&ctx.db, &bank, other, RequestStatus::Withdrawn, "", IP).await.unwrap();
        assert!(matches!(editable(&ctx.db, &bank, other).await, Err(AppError::Conflict(m)) if m.contains("sudah ditarik")));
        std::fs::remove_dir_all(&dir).ok();
    })
    .await;
}
