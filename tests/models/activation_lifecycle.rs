//! Issue 15 (3, 4, 6): a Permohonan Aktivasi filed by the institution or by
//! the producer that delivered its SAMs, approved by the admin (reply
//! number, one activation number and a year of validity per reader, a
//! manifest that verifies with the public key alone), rejected or withdrawn
//! (readers void, SAMs free), readers revoked (on the signed revocation
//! list, SAM free for a new reader); every illegal move a conflict that
//! changes nothing.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use sifilma::models::{
    _entities::{activation_readers, activation_requests, audit_events, cards},
    activations::{
        lifecycle::{approve, end, file, manifest, revocation_list, revoke, Letter},
        ActivationKey, Manifest, RequestStatus, RevocationList,
    },
    AppError,
};

use crate::support::{
    scenario::{received_submission, user},
    with_app,
};

fn letter(n: &str) -> Letter {
    crate::support::fixtures::activation_letter(n, &"0".repeat(32))
}

#[tokio::test]
async fn a_request_is_filed_decided_activated_and_revoked_through_its_machines() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all: Vec<cards::Model> = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let line = |row: usize, serial: &str, reader: &str| crate::support::fixtures::reader_line(&all, row, serial, reader);
        let (bank, nyra, lain, xyz, admin) = (
            user(&ctx, "bank_abc").await,
            user(&ctx, "pt_nyra").await,
            user(&ctx, "pt_lain").await,
            user(&ctx, "bank_xyz").await,
            user(&ctx, "admin_pusat").await,
        );
        let institution = bank.organisation_id.unwrap();

        // Who may file.
        for outsider in [&xyz, &lain, &admin] {
            let refused = file(&ctx.db, outsider, institution, &letter("X/1"), &[line(1, "0SAM00000001", "CR-1")], "127.0.0.1").await;
            assert!(matches!(refused, Err(AppError::NotFound)), "{}", outsider.username);
        }
        let first = file(&ctx.db, &bank, institution, &letter("AKT/BANK/1"), &[line(1, "0SAM00000001", "CR-1"), line(2, "0SAM00000002", "CR-2")], "127.0.0.1")
            .await
            .unwrap()
            .expect("filed by the institution");
        let second = file(&ctx.db, &nyra, institution, &letter("AKT/NYRA/1"), &[line(1, "0SAM00000003", "CR-3")], "127.0.0.1")
            .await
            .unwrap()
            .expect("filed by the producer that delivered");
        let again =
            file(&ctx.db, &bank, institution, &letter("AKT/BANK/2"), &[line(1, "0SAM00000002", "CR-9")], "127.0.0.1").await.unwrap().expect_err("bound");
        assert!(again[0].to_string().contains("sudah terikat"), "{again:?}");

        // Decisions: only the admin approves; twice is a conflict.
        assert!(matches!(approve(&ctx.db, &bank, first, "127.0.0.1").await, Err(AppError::NotFound)));
        let number = approve(&ctx.db, &admin, first, "127.0.0.1").await.unwrap();
        assert_eq!(number, format!("AKT-{}-00001", chrono::Utc::now().with_timezone(&sifilma::locale::wib()).format("%Y")));
        assert!(matches!(approve(&ctx.db, &admin, first, "127.0.0.1").await, Err(AppError::Conflict(_))));
        assert!(
            matches!(end(&ctx.db, &bank, first, RequestStatus::Withdrawn, "", "127.0.0.1").await, Err(AppError::Conflict(_))),
            "an approved request is not withdrawn"
        );
        let active = activation_readers::Entity::find()
            .filter(activation_readers::Column::RequestId.eq(first))
            .order_by_asc(activation_readers::Column::Id)
            .all(&ctx.db)
            .await
            .unwrap();
        assert_eq!(
            active.iter().map(|r| (r.status.as_str(), r.activation_number.clone().unwrap())).collect::<Vec<_>>(),
            vec![("active", format!("{number}-0001")), ("active", format!("{number}-0002"))]
        );
        assert!(active.iter().all(|r| r.valid_until.unwrap() > r.valid_from.unwrap()));

        // The manifest verifies with the public key alone.
        let key = ctx.shared_store.get::<ActivationKey>().unwrap();
        let (name, body) = manifest(&ctx.db, active[0].id, &key).await.unwrap();
        assert_eq!(name, format!("{number}-0001.manifest"));
        let m = Manifest::check(body.as_bytes(), &key.public_hex()).unwrap();
        assert_eq!((m.sam_serial.as_str(), m.reader_serial.as_str(), m.region.as_str()), ("0SAM00000001", "CR-1", "Jawa Barat / Kota Bandung"));
        assert!(!m.pcid.is_empty() && m.institution.contains("bank_abc"));

        // Reject needs a reason; a rejected request frees its SAMs.
        assert!(matches!(end(&ctx.db, &admin, second, RequestStatus::Rejected, "no", "127.0.0.1").await, Err(AppError::Invalid(_))));
        assert!(matches!(end(&ctx.db, &nyra, second, RequestStatus::Rejected, "bukan admin", "127.0.0.1").await, Err(AppError::NotFound)));
        end(&ctx.db, &admin, second, RequestStatus::Rejected, "Surat belum ditandatangani pejabat.", "127.0.0.1").await.unwrap();
        let r2 = activation_requests::Entity::find_by_id(second).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((r2.status.as_str(), r2.decision_note.as_deref()), ("rejected", Some("Surat belum ditandatangani pejabat.")));
        assert!(matches!(approve(&ctx.db, &admin, second, "127.0.0.1").await, Err(AppError::Conflict(_))), "approving a rejected request");
        let third = file(&ctx.db, &bank, institution, &letter("AKT/BANK/3"), &[line(1, "0SAM00000003", "CR-3")], "127.0.0.1")
            .await
            .unwrap()
            .expect("the rejected SAM is free");
        end(&ctx.db, &bank, third, RequestStatus::Withdrawn, "", "127.0.0.1").await.unwrap();
        assert!(matches!(approve(&ctx.db, &admin, third, "127.0.0.1").await, Err(AppError::Conflict(_))), "approving a withdrawn request");

        // Revocation: the institution or the admin, with a reason, once.
        assert!(matches!(
            revoke(&ctx.db, &xyz, active[0].id, "Hilang", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), "127.0.0.1").await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            revoke(&ctx.db, &bank, active[0].id, "", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), "127.0.0.1").await,
            Err(AppError::Invalid(_))
        ));
        revoke(&ctx.db, &bank, active[0].id, "Hilang di kantor cabang", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), "127.0.0.1").await.unwrap();
        assert!(
            matches!(
                revoke(&ctx.db, &admin, active[0].id, "Dicuri", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), "127.0.0.1").await,
                Err(AppError::Conflict(_))
            ),
            "revoking twice"
        );
        let list = RevocationList::check(revocation_list(&ctx.db, &key).await.unwrap().as_bytes(), &key.public_hex()).unwrap();
        assert_eq!((list.sequence, list.revoked.len(), list.revoked[0].activation_number.clone()), (1, 1, format!("{number}-0001")));
        assert_eq!(list.revoked[0].revoked_on, "2026-11-24");
        file(&ctx.db, &bank, institution, &letter("AKT/BANK/4"), &[line(1, "0SAM00000001", "CR-NEW")], "127.0.0.1")
            .await
            .unwrap()
            .expect("a revoked reader's SAM goes to a new reader");

        let audited =
            audit_events::Entity::find().filter(audit_events::Column::SubjectType.is_in(["activation", "activation_reader"])).count(&ctx.db).await.unwrap();
        assert_eq!(audited, 8, "filed x4, approved (its reply letter named in the note), rejected, withdrawn, revoked");
    })
    .await;
}
