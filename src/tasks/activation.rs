//! Sistem Aktivasi from the console: `activation_key` creates the
//! registry's signing key (once), `verify_manifest` checks a manifest or
//! revocation list offline with the public key alone.
use std::path::Path;

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use super::{arg, failed};
use crate::{
    models::activations::{ActivationKey, Manifest, RevocationList},
    settings::Settings,
};

pub struct CreateKey;

#[async_trait]
impl Task for CreateKey {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "activation_key".into(),
            detail: "buat kunci tanda tangan aktivasi di settings.activation_key_path (sekali) dan tampilkan kunci publiknya".into(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> Result<()> {
        let path = Settings::get(ctx).activation_key_path.clone();
        if path.trim().is_empty() {
            return Err(failed("settings.activation_key_path (ACTIVATION_KEY_PATH) kosong: tentukan dulu lokasi berkas kuncinya."));
        }
        let path = Path::new(path.trim());
        if path.exists() {
            let key = ActivationKey::load(path).map_err(failed)?;
            println!("Kunci aktivasi sudah ada di {}; tidak dibuat ulang.\nKunci publik: {}", path.display(), key.public_hex());
            return Ok(());
        }
        let key = ActivationKey::generate();
        key.save(path).map_err(failed)?;
        println!("Kunci aktivasi dibuat di {} (mode 0600). Simpan cadangannya di tempat aman.\nKunci publik: {}", path.display(), key.public_hex());
        Ok(())
    }
}

pub struct VerifyManifest;

#[async_trait]
impl Task for VerifyManifest {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "verify_manifest".into(), detail: "periksa manifest atau daftar pencabutan: file:<berkas> [public_key:<64 hex>]".into() }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let file = arg(vars, "file", "cargo loco task verify_manifest file:<berkas> [public_key:<64 hex>]")?;
        let bytes = std::fs::read(file).map_err(|e| failed(format!("{file}: {e}")))?;
        let public = match vars.cli.get("public_key") {
            Some(k) => k.clone(),
            None => ctx
                .shared_store
                .get::<ActivationKey>()
                .map(|k| k.public_hex())
                .ok_or_else(|| failed("tidak ada kunci aktivasi: berikan public_key:<64 hex>"))?,
        };
        if let Ok(m) = Manifest::check(&bytes, &public) {
            println!(
                "SAH: manifest {} untuk card reader {} ({}) dengan SAM {} di {}, berlaku {} s.d. {}.",
                m.activation_number, m.reader_serial, m.reader_type, m.sam_serial, m.institution, m.valid_from, m.valid_until
            );
            return Ok(());
        }
        match RevocationList::check(&bytes, &public) {
            Ok(list) => {
                println!("SAH: daftar pencabutan nomor urut {} ({} aktivasi dicabut), terbit {}.", list.sequence, list.revoked.len(), list.issued_at);
                Ok(())
            }
            Err(why) => Err(failed(format!("TIDAK SAH: {why}"))),
        }
    }
}
