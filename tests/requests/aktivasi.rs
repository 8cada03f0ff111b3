//! Issue 15 (first part): the public /verifikasi page publishes the
//! registry's activation key and checks an uploaded manifest or revocation
//! list by its Ed25519 signature; a changed byte or another key's signature
//! is refused with a sentence, nothing stored.
use axum_test::multipart::Part;
use sifilma::models::activations::{ActivationKey, Manifest, RevocationList};

use crate::support::{unescape, with_app, Client};

fn manifest(key: &ActivationKey) -> Manifest {
    Manifest {
        format: Manifest::FORMAT.into(),
        activation_number: "AKT-2026-00042".into(),
        institution: "Bank ABC".into(),
        reader_type: "Type IdGlobalScan GSX-01".into(),
        reader_serial: "CR-7731-0042".into(),
        sam_serial: "0010900107".into(),
        perso_number: "PN-00001".into(),
        pcid: "PCID-00001".into(),
        region: "Jawa Barat / Kota Bandung".into(),
        valid_from: "2026-11-25".into(),
        valid_until: "2027-11-24".into(),
        issued_at: "2026-11-25T10:00:00+07:00".into(),
        key_id: key.key_id(),
    }
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
