//! Issue 15 (first part): the activation key and the files it signs — a
//! manifest verifies with the public key alone, every single changed byte
//! and a signature of another key are refused; the revocation list
//! likewise; the key file's life (tests, development, production); the
//! console's `verify_manifest`.
use loco_rs::{boot::run_task, environment::Environment, task::Vars};
use sifilma::{
    app::App,
    models::activations::{signing, ActivationKey, Manifest, Rejected, RevocationList, Revoked},
    settings::Settings,
};

use crate::support::with_db;

fn manifest(key: &ActivationKey) -> Manifest {
    crate::support::fixtures::manifest(key, "AKT-2026-00001")
}

#[test]
fn a_manifest_verifies_with_the_public_key_alone_and_every_changed_byte_fails() {
    let key = ActivationKey::generate();
    let m = manifest(&key);
    let file = m.signed(&key);
    let public = key.public_hex();
    assert_eq!(Manifest::check(file.as_bytes(), &public), Ok(m.clone()));
    assert!(file.starts_with("{\"format\":\"sifilma-manifest/1\"") && file.lines().nth(1).unwrap().starts_with("ed25519:"), "{file}");

    // Every byte of the file, one at a time, changed.
    for i in 0..file.len() {
        let mut bytes = file.clone().into_bytes();
        bytes[i] ^= 0x01;
        assert!(Manifest::check(&bytes, &public).is_err(), "byte {i} changed and still accepted");
    }
    let mut longer = file.clone();
    longer.push('\n');
    assert_eq!(Manifest::check(longer.as_bytes(), &public), Err(Rejected::Malformed));
    let upper = file.replace(file.lines().nth(1).unwrap(), &file.lines().nth(1).unwrap().to_uppercase().replace("ED25519:", "ed25519:"));
    assert!(Manifest::check(upper.as_bytes(), &public).is_err(), "only the canonical signature");

    // Another key: its signature over the same manifest, or checking with its public key.
    let other = ActivationKey::generate();
    assert_eq!(Manifest::check(m.signed(&other).as_bytes(), &public), Err(Rejected::BadSignature));
    assert_eq!(Manifest::check(file.as_bytes(), &other.public_hex()), Err(Rejected::BadSignature));
    assert_eq!(Manifest::check(file.as_bytes(), "not-a-key"), Err(Rejected::BadPublicKey));
    assert_eq!(Manifest::check(b"", &public), Err(Rejected::Malformed));
    // A revocation list is not a manifest, though its signature is good.
    let list = RevocationList { format: RevocationList::FORMAT.into(), sequence: 1, issued_at: "x".into(), key_id: key.key_id(), revoked: vec![] };
    assert_eq!(Manifest::check(list.signed(&key).as_bytes(), &public), Err(Rejected::Malformed));
    assert_eq!(signing::key_id(&public).unwrap(), key.key_id());
}

#[test]
fn a_revocation_list_is_signed_whole() {
    let key = ActivationKey::generate();
    let revoked = (0..1_000)
        .map(|i| Revoked {
            activation_number: format!("AKT-2026-{i:05}"),
            reader_serial: format!("CR-{i:06}"),
            sam_serial: format!("00109{i:05}"),
            revoked_on: "2026-11-25".into(),
            reason: "Hilang".into(),
        })
        .collect();
    let list =
        RevocationList { format: RevocationList::FORMAT.into(), sequence: 7, issued_at: "2026-11-25T10:00:00+07:00".into(), key_id: key.key_id(), revoked };
    let file = list.signed(&key);
    assert_eq!(RevocationList::check(file.as_bytes(), &key.public_hex()), Ok(list));
    let dropped = file.replacen("{\"activation_number\":\"AKT-2026-00003\"", "{\"activation_number\":\"AKT-2026-00004\"", 1);
    assert_eq!(RevocationList::check(dropped.as_bytes(), &key.public_hex()), Err(Rejected::BadSignature));
}

#[test]
fn the_key_file_is_made_in_development_required_in_production_and_private() {
    let dir = std::env::temp_dir().join(format!("sifilma-akt-{}", uuid::Uuid::new_v4().simple()));
    let mut settings: Settings = serde_json::from_value(serde_json::json!({})).unwrap();
    assert!(settings.activation_key(&Environment::Test).unwrap().is_some(), "tests: a key made for the process");
    assert!(settings.activation_key(&Environment::Production).unwrap().is_none(), "production: no path, no key, start refuses");
    settings.activation_key_path = dir.join("activation.key").display().to_string();
    assert!(settings.activation_key(&Environment::Production).unwrap().is_none(), "production never creates one");
    let made = settings.activation_key(&Environment::Development).unwrap().expect("development creates it");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(dir.join("activation.key")).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let again = settings.activation_key(&Environment::Production).unwrap().expect("loaded");
    assert_eq!(again.public_hex(), made.public_hex());
    std::fs::write(dir.join("activation.key"), "rusak").unwrap();
    assert!(settings.activation_key(&Environment::Production).is_err(), "a malformed key file stops the boot");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn verify_manifest_checks_a_file_offline() {
    with_db(|ctx| async move {
        let key = ctx.shared_store.get::<ActivationKey>().expect("the process's key");
        let dir = std::env::temp_dir().join(format!("sifilma-akt-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("AKT-2026-00001.manifest");
        std::fs::write(&good, manifest(&key).signed(&key)).unwrap();
        let run = |file: &std::path::Path, public: Option<String>| {
            let mut args = vec![("file".to_string(), file.display().to_string())];
            args.extend(public.map(|p| ("public_key".to_string(), p)));
            let ctx = ctx.clone();
            async move { run_task::<App>(&ctx, Some(&"verify_manifest".to_string()), &Vars::from_cli_args(args)).await }
        };
        run(&good, None).await.expect("valid with the configured key");
        run(&good, Some(key.public_hex())).await.expect("valid with the public key alone");
        let err = run(&good, Some(ActivationKey::generate().public_hex())).await.expect_err("another key");
        assert!(err.to_string().contains("TIDAK SAH") && err.to_string().contains("kunci lain"), "{err}");
        let tampered = dir.join("tampered.manifest");
        std::fs::write(&tampered, manifest(&key).signed(&key).replace("CR-7731-0042", "CR-7731-0043")).unwrap();
        let err = run(&tampered, None).await.expect_err("changed");
        assert!(err.to_string().contains("telah diubah"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    })
    .await;
}
