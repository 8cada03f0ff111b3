//! Issue 15 (first part): the public /verifikasi page publishes the
//! registry's activation key and checks an uploaded manifest or revocation
//! list by its Ed25519 signature; a changed byte or another key's signature
//! is refused with a sentence, nothing stored.
use axum_test::multipart::Part;
use sifilma::models::activations::{ActivationKey, Manifest, RevocationList};

use crate::support::{unescape, with_app, Client};

fn manifest(key: &ActivationKey) -> Manifest {
    crate::support::fixtures::manifest(key, "AKT-2026-00042")
}

#[tokio::test]
async fn the_public_page_publishes_the_key_and_checks_a_manifest_by_its_signature() {
    with_app(|server, ctx| async move {
        let key = ctx.shared_store.get::<ActivationKey>().expect("the process's key");
        let mut anon = Client::new(&server);
        let page = anon.page("/verifikasi").await;
        assert!(page.contains(&format!("<code id=\"public-key\">{}</code>", key.public_hex())), "the public key is published");

        let upload = |c: &Client, bytes: Vec<u8>| {
            c.multipart().add_text("jenis", "manifest").add_part("berkas", Part::bytes(bytes).file_name("AKT-2026-00042.manifest"))
        };
        let good = manifest(&key).signed(&key);
        let r = anon.post_multipart("/verifikasi", upload(&anon, good.clone().into_bytes())).await;
        assert_eq!(r.status_code(), 200, "{}", r.text());
        let text = unescape(&r.text());
        assert!(
            text.contains("id=\"manifest-valid\"") && text.contains("AKT-2026-00042") && text.contains("CR-7731-0042 (Type IdGlobalScan GSX-01)"),
            "{text}"
        );

        let changed = good.replace("Bank ABC", "Bank ABD");
        let r = anon.post_multipart("/verifikasi", upload(&anon, changed.into_bytes())).await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("Tanda tangan tidak cocok: berkas telah diubah atau ditandatangani kunci lain."));

        let other = ActivationKey::generate();
        let r = anon.post_multipart("/verifikasi", upload(&anon, manifest(&other).signed(&other).into_bytes())).await;
        assert_eq!(r.status_code(), 422, "another key's signature");

        let r = anon.post_multipart("/verifikasi", upload(&anon, b"PK\x03\x04 bukan manifest".to_vec())).await;
        assert_eq!(r.status_code(), 422);
        assert!(unescape(&r.text()).contains("tidak berformat manifest"), "{}", r.text());

        let list = RevocationList {
            format: RevocationList::FORMAT.into(),
            sequence: 3,
            issued_at: "2026-11-25T10:00:00+07:00".into(),
            key_id: key.key_id(),
            revoked: vec![],
        };
        let r = anon.post_multipart("/verifikasi", upload(&anon, list.signed(&key).into_bytes())).await;
        assert_eq!(r.status_code(), 200);
        assert!(unescape(&r.text()).contains("Daftar pencabutan aktivasi") && r.text().contains("nomor urut 3"));

        let r = anon.post_multipart("/verifikasi", anon.multipart().add_text("jenis", "manifest")).await;
        assert_eq!(r.status_code(), 422, "no file");
    })
    .await;
}

/// Issue 15: from the landing page's second card to a downloaded manifest,
/// through the real forms: the institution files, bad lines come back per
/// row with nothing saved, the admin approves, the manifest verifies, the
/// institution revokes, the public revocation list carries it; another
/// institution sees none of it.
#[tokio::test]
async fn an_institution_files_the_admin_approves_and_the_manifest_and_revocation_list_verify() {
    with_app(|server, ctx| async move {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        use sifilma::models::_entities::{activation_readers, activation_requests, cards};
        let id = crate::support::scenario::received_submission(&server, &ctx).await;
        let all = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let perso = |s: &str| all.iter().find(|c| c.serial == s).unwrap().perso_number.clone().unwrap();
        let key = ctx.shared_store.get::<ActivationKey>().unwrap();

        let landing = server.get("/").await.text();
        assert!(landing.contains("href=\"/aktivasi\""));
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let list = bank.page("/aktivasi").await;
        assert!(list.contains("Ajukan Permohonan Aktivasi"));
        let form = bank.page("/aktivasi/baru").await;
        assert!(form.contains("Daftar Card Reader") && form.contains("Type IdGlobalScan GSX-01"));
        let institution = crate::support::scenario::user(&ctx, "bank_abc").await.organisation_id.unwrap().to_string();
        let filing = |c: &Client, rows: &[(&str, &str, String)]| {
            let mut f = c
                .multipart()
                .add_text("institution_id", institution.clone())
                .add_text("letter_number", "470/AKT/2026")
                .add_text("letter_date", "2026-11-20")
                .add_part("file", Part::bytes(crate::support::fixtures::pdf()).file_name("surat-aktivasi.pdf"));
            for (i, (sam, reader, perso)) in rows.iter().enumerate() {
                let n = i + 1;
                f = f
                    .add_text(format!("reader_type_{n}"), "Type IdGlobalScan GSX-01")
                    .add_text(format!("reader_serial_{n}"), (*reader).to_string())
                    .add_text(format!("sam_serial_{n}"), (*sam).to_string())
                    .add_text(format!("perso_number_{n}"), perso.clone())
                    .add_text(format!("province_{n}"), "Jawa Barat")
                    .add_text(format!("city_{n}"), "Kota Bandung");
            }
            f
        };
        // Bad lines: per row, nothing saved.
        let bad = bank
            .post_multipart("/aktivasi", filing(&bank, &[("0SAM00000001", "CR-1", "PN-SALAH".into()), ("0SAM00000001", "CR-2", perso("0SAM00000001"))]))
            .await;
        assert_eq!(bad.status_code(), 422);
        let text = unescape(&bad.text());
        assert!(
            text.contains("Baris 1: Nomor Perso PN-SALAH bukan milik kartu SAM 0SAM00000001.")
                && text.contains("Baris 2: Kartu SAM 0SAM00000001 tercantum dua kali (juga di baris 1)."),
            "{text}"
        );
        assert_eq!(activation_requests::Entity::find().count(&ctx.db).await.unwrap(), 0);

        let ok = bank
            .post_multipart("/aktivasi", filing(&bank, &[("0SAM00000001", "CR-1", perso("0SAM00000001")), ("0SAM00000002", "CR-2", perso("0SAM00000002"))]))
            .await;
        assert_eq!(ok.status_code(), 303, "{}", ok.text());
        let at = crate::support::location(&ok);
        let page = bank.page(&at).await;
        assert!(page.contains("Menunggu disposisi") && page.contains("hari kerja") && page.contains("Tarik Permohonan"));
        let rid = activation_requests::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;
        let listed = bank.page("/aktivasi").await;
        assert!(
            listed.contains("470/AKT/2026") && listed.contains("<td data-label=\"Card Reader\">2</td>") && listed.contains("Organisasi bank_abc"),
            "{listed}"
        );

        // Another institution sees nothing; the producer does not see the institution's own filing.
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(xyz.get(&format!("/aktivasi/{rid}")).await.status_code(), 404);
        assert!(!xyz.page("/aktivasi").await.contains("470/AKT/2026"));

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert_eq!(crate::support::tile(&admin.page("/dashboard").await, "Permohonan aktivasi menunggu disposisi"), "1");
        admin.get(&format!("/aktivasi/{rid}")).await;
        let r = admin.post(&format!("/aktivasi/{rid}/tolak"), &[("reason", "x")]).await;
        assert_eq!(r.status_code(), 422, "a reason is required");
        assert_eq!(bank.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 404, "only the admin decides");
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 303);
        assert_eq!(admin.post(&format!("/aktivasi/{rid}/setujui"), &[]).await.status_code(), 409, "approving twice");
        assert_eq!(
            crate::support::tile(&admin.page("/dashboard").await, "Permohonan aktivasi menunggu disposisi"),
            "0",
            "the admin's own decision shows at once"
        );
        let page = unescape(&bank.page(&format!("/aktivasi/{rid}")).await);
        assert!(page.contains("Disetujui, manifest terbit") && page.contains("Unduh Manifest"), "{page}");

        let reader = activation_readers::Entity::find().filter(activation_readers::Column::RequestId.eq(rid)).one(&ctx.db).await.unwrap().unwrap();
        let got = bank.get(&format!("/aktivasi/reader/{}/manifest", reader.id)).await;
        assert_eq!(got.status_code(), 200);
        assert!(got.header("content-disposition").to_str().unwrap().contains(".manifest"));
        let m = Manifest::check(got.as_bytes(), &key.public_hex()).expect("the downloaded manifest verifies");
        assert_eq!(m.sam_serial, reader.sam_serial);
        assert_eq!(xyz.get(&format!("/aktivasi/reader/{}/manifest", reader.id)).await.status_code(), 404);

        bank.get(&format!("/aktivasi/{rid}")).await;
        let r = bank.post(&format!("/aktivasi/reader/{}/cabut", reader.id), &[("reason", "Hilang di kantor cabang"), ("date", "2026-11-24")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(
            bank.post(&format!("/aktivasi/reader/{}/cabut", reader.id), &[("reason", "Lagi"), ("date", "2026-11-24")]).await.status_code(),
            409,
            "revoking twice"
        );
        // The page's timeline: filing, decision and revocation, who and
        // why, in Indonesian and never by their codes.
        let page = unescape(&bank.page(&format!("/aktivasi/{rid}")).await);
        let timeline = &page[page.find("id=\"timeline\"").expect("a timeline")..];
        let at = |s: &str| timeline.find(s).unwrap_or_else(|| panic!("{s:?} missing from the timeline: {timeline}"));
        assert!(at("Permohonan aktivasi diajukan") < at("Aktivasi disetujui, manifest terbit"));
        assert!(at("Aktivasi disetujui, manifest terbit") < at("Aktivasi card reader dicabut"));
        at("Menunggu disposisi → ");
        at("Hilang di kantor cabang");
        at("admin_pusat");
        for code in ["activation.", ">approved<", ">revoked<", ">new<"] {
            assert!(!timeline.contains(code), "code word {code:?} on the page");
        }
        let public = Client::new(&server).get("/aktivasi/pencabutan").await;
        assert_eq!(public.status_code(), 200);
        let list = RevocationList::check(public.as_bytes(), &key.public_hex()).expect("the public list verifies");
        assert_eq!(list.revoked.len(), 1);
        assert_eq!(Some(list.revoked[0].activation_number.clone()), reader.activation_number);
    })
    .await;
}
