//! Issue 15 (2): every check on a line of a Permohonan Aktivasi, each with
//! its own Indonesian message per row — only SAMs personalized Clear here,
//! with their own Nomor Perso, handed over (BAST, received) to this
//! institution for this machine type, not bound to a live activation, and
//! not twice in one list.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sifilma::models::{
    _entities::{activation_readers, activation_requests, cards, organisations, personalization_requests as requests},
    activations::readers::{check, ReaderInput, MAX_READERS},
};

use crate::support::{
    scenario::{done_submission, receive_all},
    with_app,
};

const TYPE: &str = "Type IdGlobalScan GSX-01";

fn line(row: usize, serial: &str, perso: &str, reader: &str) -> ReaderInput {
    ReaderInput {
        row,
        reader_type: TYPE.into(),
        reader_serial: reader.into(),
        sam_serial: serial.into(),
        perso_number: perso.into(),
        province: "Jawa Barat".into(),
        city: "Kota Bandung".into(),
        note: String::new(),
    }
}

fn messages(result: Result<Vec<sifilma::models::activations::readers::CheckedReader>, Vec<sifilma::models::submissions::card_list::RowError>>) -> Vec<String> {
    result.expect_err("refused").iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn every_line_is_checked_against_what_the_portal_personalized_and_handed_over() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let all: Vec<cards::Model> = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let perso = |serial: &str| all.iter().find(|c| c.serial == serial).unwrap().perso_number.clone().unwrap();
        let bank = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap().organisation_id;
        let (s1, s2, s3) = ("0SAM00000001", "0SAM00000002", "0SAM00000003");

        // Done but not received yet: refused for that reason alone.
        let before = check(&ctx.db, bank, &[line(1, s1, &perso(s1), "CR-1")]).await.unwrap();
        assert_eq!(messages(before), vec![format!("Baris 1: Kartu SAM {s1} belum diterima lembaga ini melalui BAST.")]);

        receive_all(&server, &ctx, id).await;

        let good = check(&ctx.db, bank, &[line(1, s1, &perso(s1), "cr-1"), line(2, " 0sam00000002 ", &perso(s2), "CR-2")]).await.unwrap().expect("good lines");
        assert_eq!(good.iter().map(|c| (c.sam_serial.as_str(), c.reader_serial.as_str())).collect::<Vec<_>>(), vec![(s1, "CR-1"), (s2, "CR-2")]);

        // Each bad line with its own message.
        let other_type = sifilma::models::_entities::machine_types::ActiveModel {
            name: Set("Type Lain X".into()),
            active: Set(true),
            created_at: Set(Utc::now().into()),
            updated_at: Set(Utc::now().into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
        let mut wrong_type = line(6, s3, &perso(s3), "CR-6");
        wrong_type.reader_type = other_type.name.clone();
        let mut no_type = line(7, s3, &perso(s3), "CR-7");
        no_type.reader_type = "Tidak Ada".into();
        let mut no_region = line(8, "0SAM00000004", &perso("0SAM00000004"), "CR-8");
        no_region.city = String::new();
        let bad = check(
            &ctx.db,
            bank,
            &[
                line(1, "0SAM99999999", "PN-X", "CR-1"),
                line(2, s1, "PN-SALAH", "CR-2"),
                line(3, s2, &perso(s2), "CR-3"),
                line(4, s2, &perso(s2), "CR-3"),
                line(5, "SAM-12", "PN", "CR-5"),
                wrong_type,
                no_type,
                no_region,
            ],
        )
        .await
        .unwrap();
        let said = messages(bad);
        for wanted in [
            "Baris 1: Kartu SAM 0SAM99999999 tidak dikenal di SI-FILMA".to_string(),
            format!("Baris 2: Nomor Perso PN-SALAH bukan milik kartu SAM {s1}."),
            "Baris 4: S/N CR CR-3 tercantum dua kali (juga di baris 3).".to_string(),
            format!("Baris 4: Kartu SAM {s2} tercantum dua kali (juga di baris 3)."),
            "Baris 5: No. Seri Kartu SAM".to_string(),
            format!("Baris 6: Jenis Card Reader tidak sesuai: kartu SAM {s3} diserahkan untuk {TYPE}."),
            "Baris 7: Jenis Card Reader \"Tidak Ada\" tidak ada di Master Data Jenis Mesin.".to_string(),
            "Baris 7: Kartu SAM 0SAM00000003 tercantum dua kali (juga di baris 6).".to_string(),
            "Baris 8: Wilayah penggunaan (provinsi dan kabupaten/kota) wajib diisi.".to_string(),
        ] {
            assert!(said.iter().any(|m| m.starts_with(&wanted)), "{wanted:?} missing from {said:#?}");
        }
        assert!(!said.iter().any(|m| m.starts_with("Baris 3")), "line 3 is fine: {said:#?}");

        // Another institution's readers: never told whose the SAM is.
        let xyz = organisations::Entity::find().filter(organisations::Column::Name.eq("Organisasi bank_xyz")).one(&ctx.db).await.unwrap().unwrap();
        let theirs = messages(check(&ctx.db, xyz.id, &[line(1, s1, &perso(s1), "CR-1")]).await.unwrap());
        assert_eq!(theirs, vec![format!("Baris 1: Kartu SAM {s1} tidak diserahterimakan kepada lembaga ini.")]);

        // A failed card.
        let failed = all.iter().find(|c| c.serial == "0SAM00000005").unwrap();
        let mut f: cards::ActiveModel = failed.clone().into();
        f.status = Set(sifilma::models::cards::Status::Failed);
        f.update(&ctx.db).await.unwrap();
        let said = messages(check(&ctx.db, bank, &[line(1, "0SAM00000005", &perso("0SAM00000005"), "CR-9")]).await.unwrap());
        assert_eq!(said, vec!["Baris 1: Kartu SAM 0SAM00000005 belum dipersonalisasi Clear (status: Failed).".to_string()]);

        // Bound to a live activation (SAM and reader), then freed by revocation.
        let now = Utc::now();
        let w_creator = crate::support::scenario::user(&ctx, "bank_abc").await.id;
        let req = activation_requests::ActiveModel {
            applicant_id: Set(bank),
            institution_id: Set(bank),
            created_by: Set(w_creator),
            letter_number: Set("AKT/1".into()),
            letter_date: Set(now.date_naive()),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(10),
            status: Set("approved".into()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
        let live = activation_readers::ActiveModel {
            request_id: Set(req.id),
            row_no: Set(1),
            machine_type_id: Set(requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap().machine_type_id),
            reader_serial: Set("CR-1".into()),
            sam_serial: Set(s1.into()),
            perso_number: Set(perso(s1)),
            card_id: Set(all[0].id),
            province: Set("Jawa Barat".into()),
            city: Set("Kota Bandung".into()),
            status: Set("active".into()),
            live_sam: Set(Some(s1.into())),
            live_reader: Set(Some("CR-1".into())),
            created_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
        let said = messages(check(&ctx.db, bank, &[line(1, s1, &perso(s1), "CR-1")]).await.unwrap());
        assert_eq!(
            said,
            vec![
                "Baris 1: S/N CR CR-1 sudah terikat pada aktivasi lain yang masih berlaku.".to_string(),
                format!("Baris 1: Kartu SAM {s1} sudah terikat pada aktivasi lain yang masih berlaku.")
            ]
        );
        let mut revoked: activation_readers::ActiveModel = live.into();
        revoked.status = Set("revoked".into());
        revoked.live_sam = Set(None);
        revoked.live_reader = Set(None);
        revoked.update(&ctx.db).await.unwrap();
        assert!(check(&ctx.db, bank, &[line(1, s1, &perso(s1), "CR-NEW")]).await.unwrap().is_ok(), "a revoked reader frees its SAM");

        // Empty and too long lists.
        assert_eq!(messages(check(&ctx.db, bank, &[]).await.unwrap()), vec!["Daftar card reader kosong: isi minimal satu card reader.".to_string()]);
        let many: Vec<ReaderInput> = (0..=MAX_READERS).map(|i| line(i + 2, &format!("0SAM{i:08}"), "PN", &format!("CR-{i}"))).collect();
        assert_eq!(
            messages(check(&ctx.db, bank, &many).await.unwrap()),
            vec![format!("Daftar card reader berisi {} baris; paling banyak {MAX_READERS} baris per permohonan.", MAX_READERS + 1)]
        );
    })
    .await;
}
