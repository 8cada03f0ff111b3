//! The registry's activation key and the files it signs: reader manifests
//! and revocation lists.
//!
//! A signed file is the exact bytes of a one-line JSON document followed by
//! a line `ed25519:<128 hex digits>` — the signature of those bytes:
//!
//! ```text
//! {"format":"sifilma-manifest/1",...}
//! ed25519:9f3c…
//! ```
//!
//! Rules:
//! - The signature covers every byte before its line; the file must end
//!   right after the signature's newline. One changed byte anywhere fails.
//! - Verification needs only the public key (32 bytes, hex), published on
//!   the portal's public pages.
//! - The key file holds the 32-byte seed in hex, readable by its owner
//!   only. Development creates one on first start; production refuses to
//!   start without one.
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The line that starts the signature.
const PREFIX: &str = "ed25519:";

/// Why a signed file does not verify; each is one Indonesian sentence.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("Berkas tidak berformat manifest SI-FILMA (baris tanda tangan ed25519 tidak ditemukan).")]
    Malformed,
    #[error("Tanda tangan tidak cocok: berkas telah diubah atau ditandatangani kunci lain.")]
    BadSignature,
    #[error("Kunci publik tidak sah (harus 64 digit heksadesimal).")]
    BadPublicKey,
}

/// The registry's signing key.
#[derive(Clone)]
pub struct ActivationKey {
    key: SigningKey,
}

impl std::fmt::Debug for ActivationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActivationKey({})", self.public_hex())
    }
}

impl ActivationKey {
    /// A fresh key from the operating system's random source.
    #[must_use]
    pub fn generate() -> Self {
        Self { key: SigningKey::from_bytes(&rand::random::<[u8; 32]>()) }
    }

    /// The key in `path` (64 hex digits).
    ///
    /// # Errors
    /// A sentence naming the file when it is missing or malformed.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("activation key {}: {e}", path.display()))?;
        let seed: [u8; 32] =
            hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| format!("activation key {}: not 64 hex digits", path.display()))?;
        Ok(Self { key: SigningKey::from_bytes(&seed) })
    }

    /// Writes the key to `path` (a new file, mode 0600).
    ///
    /// # Errors
    /// When the file exists or cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        use std::{io::Write, os::unix::fs::OpenOptionsExt};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(format!("{}\n", hex::encode(self.key.to_bytes())).as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The public key, hex: what field software and `/verifikasi` check with.
    #[must_use]
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// A short name of the public key (its SHA-256, first 16 hex digits),
    /// written into each signed document.
    #[must_use]
    pub fn key_id(&self) -> String {
        key_id_of(&self.key.verifying_key())
    }

    /// `payload` (one line of JSON, no newline inside) and its signature.
    ///
    /// # Panics
    /// When `payload` holds a newline: the format has one line of payload.
    #[must_use]
    pub fn sign(&self, payload: &str) -> String {
        assert!(!payload.contains('\n'), "a signed payload is one line");
        let signature = self.key.sign(payload.as_bytes());
        format!("{payload}\n{PREFIX}{}\n", hex::encode(signature.to_bytes()))
    }
}

fn key_id_of(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.to_bytes()))[..16].to_string()
}

/// The public key of `hex` (64 hex digits).
///
/// # Errors
/// [`Rejected::BadPublicKey`].
pub fn public_key(hex_key: &str) -> Result<VerifyingKey, Rejected> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim()).ok().and_then(|b| b.try_into().ok()).ok_or(Rejected::BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| Rejected::BadPublicKey)
}

/// Checks a signed file against `key`; returns its payload (the JSON line).
///
/// # Errors
/// [`Rejected::Malformed`] for anything but payload + signature line,
/// [`Rejected::BadSignature`] when the bytes or the key do not match.
pub fn verify<'a>(file: &'a [u8], key: &VerifyingKey) -> Result<&'a str, Rejected> {
    let text = std::str::from_utf8(file).map_err(|_| Rejected::Malformed)?;
    let body = text.strip_suffix('\n').ok_or(Rejected::Malformed)?;
    let (payload, signature) = body.rsplit_once(&format!("\n{PREFIX}")).ok_or(Rejected::Malformed)?;
    if payload.contains('\n') || signature.len() != 128 {
        return Err(Rejected::Malformed);
    }
    let bytes: [u8; 64] = hex::decode(signature).ok().and_then(|b| b.try_into().ok()).ok_or(Rejected::Malformed)?;
    // Upper-case hex decodes to the same bytes: only the canonical lower case is accepted.
    if signature != hex::encode(bytes) {
        return Err(Rejected::BadSignature);
    }
    key.verify(payload.as_bytes(), &Signature::from_bytes(&bytes)).map_err(|_| Rejected::BadSignature)?;
    Ok(payload)
}

/// The key id (see [`ActivationKey::key_id`]) of a public key in hex.
///
/// # Errors
/// [`Rejected::BadPublicKey`].
pub fn key_id(hex_key: &str) -> Result<String, Rejected> {
    public_key(hex_key).map(|k| key_id_of(&k))
}
