//! Sistem Aktivasi Kartu SAM (the landing page's second application):
//! activation requests for integrated card readers, their disposition, the
//! signed manifest each activated reader gets, and revocation.
//!
//! This module holds the parts every later step stands on: the two status
//! machines and the signed documents (manifest, revocation list).
pub mod documents;
pub mod editing;
pub mod import;
pub mod lifecycle;
pub mod list;
pub mod mails;
pub mod readers;
pub mod readers_xlsx;
pub mod signing;

use serde::{Deserialize, Serialize};

pub use signing::{ActivationKey, Rejected};

/// The audit subject of a Permohonan Aktivasi; its timeline is its audit rows.
pub const SUBJECT: &str = "activation";
/// The audit subject of one of its readers (revocation).
pub const READER_SUBJECT: &str = "activation_reader";

/// Working days from filing to the reply letter (FAQ: 7).
pub const ESTIMATE_DAYS: u32 = 7;

/// When a request filed at `filed_at` should be done: [`ESTIMATE_DAYS`]
/// working days after its filing day (WIB), holidays of master data
/// skipped. The request page and the receipt mail both say this date.
///
/// # Errors
/// On database failure.
pub async fn estimate<C: sea_orm::ConnectionTrait>(db: &C, filed_at: sea_orm::prelude::DateTimeWithTimeZone) -> crate::models::AppResult<chrono::NaiveDate> {
    let day = filed_at.with_timezone(&crate::locale::wib()).date_naive();
    Ok(crate::models::submissions::calendar(db).await?.add_working_days(day, ESTIMATE_DAYS))
}

/// A Permohonan Aktivasi: filed by a producer or an institution, decided
/// by the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    New,
    Withdrawn,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub const ALL: [Self; 4] = [Self::New, Self::Withdrawn, Self::Approved, Self::Rejected];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Withdrawn => "withdrawn",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::New => "Menunggu disposisi",
            Self::Withdrawn => "Ditarik",
            Self::Approved => "Disetujui, manifest terbit",
            Self::Rejected => "Ditolak",
        }
    }

    /// The applicant edits or withdraws a new request; the admin approves
    /// or rejects it. Nothing leaves a decided or withdrawn request.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::New, Self::Withdrawn | Self::Approved | Self::Rejected))
    }
}

/// One reader of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderStatus {
    /// Listed, waiting for the disposition.
    Pending,
    /// Its manifest was issued.
    Active,
    /// Reported lost, stolen or broken: its manifest is on the revocation list.
    Revoked,
    /// Its request was rejected or withdrawn.
    Void,
}

impl ReaderStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Active, Self::Revoked, Self::Void];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Void => "void",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pending => "Menunggu disposisi",
            Self::Active => "Aktif",
            Self::Revoked => "Dicabut",
            Self::Void => "Batal",
        }
    }

    /// A reader is activated or voided with its request, and an active one
    /// may be revoked once. A revoked reader stays revoked: its SAM is free
    /// for a new reader, which is a new line.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::Pending, Self::Active | Self::Void) | (Self::Active, Self::Revoked))
    }

    /// Whether the line binds its SAM and reader serial (no other line may).
    #[must_use]
    pub const fn binds(self) -> bool {
        matches!(self, Self::Pending | Self::Active)
    }
}

/// What field software reads from a reader's manifest configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`Manifest::FORMAT`].
    pub format: String,
    pub activation_number: String,
    pub institution: String,
    pub reader_type: String,
    pub reader_serial: String,
    pub sam_serial: String,
    pub perso_number: String,
    pub pcid: String,
    pub region: String,
    /// `YYYY-MM-DD`, in WIB.
    pub valid_from: String,
    pub valid_until: String,
    /// RFC 3339.
    pub issued_at: String,
    /// Which registry key signed it (see [`ActivationKey::key_id`]).
    pub key_id: String,
}

impl Manifest {
    pub const FORMAT: &'static str = "sifilma-manifest/1";

    /// The manifest file: its JSON line and the registry's signature.
    #[must_use]
    pub fn signed(&self, key: &ActivationKey) -> String {
        signed_json(self, key)
    }

    /// Checks a manifest file with the registry's public key alone.
    ///
    /// # Errors
    /// [`Rejected`] when it is not a manifest, was changed, or was signed
    /// by another key.
    pub fn check(file: &[u8], public_key: &str) -> Result<Self, Rejected> {
        checked_json(file, public_key, Self::FORMAT, |m: &Self| &m.format)
    }
}

/// `value` as one JSON line signed by `key`.
fn signed_json<T: Serialize>(value: &T, key: &ActivationKey) -> String {
    key.sign(&serde_json::to_string(value).expect("signed documents serialise"))
}

/// The document of a signed file: signature good for `public_key`, JSON of
/// type `T` whose format field (`format_of`) is `format`.
fn checked_json<T: serde::de::DeserializeOwned>(file: &[u8], public_key: &str, format: &str, format_of: fn(&T) -> &str) -> Result<T, Rejected> {
    let key = signing::public_key(public_key)?;
    let payload = signing::verify(file, &key)?;
    let value: T = serde_json::from_str(payload).map_err(|_| Rejected::Malformed)?;
    if format_of(&value) != format {
        return Err(Rejected::Malformed);
    }
    Ok(value)
}

/// One revoked reader on the revocation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub activation_number: String,
    pub reader_serial: String,
    pub sam_serial: String,
    /// `YYYY-MM-DD`.
    pub revoked_on: String,
    pub reason: String,
}

/// The signed list of every revoked manifest: field software refuses a
/// reader whose activation number is on it. `sequence` grows with each
/// list issued, so an older list is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    pub format: String,
    pub sequence: u64,
    pub issued_at: String,
    pub key_id: String,
    pub revoked: Vec<Revoked>,
}

impl RevocationList {
    pub const FORMAT: &'static str = "sifilma-revocations/1";

    /// The list signed by the registry.
    #[must_use]
    pub fn signed(&self, key: &ActivationKey) -> String {
        signed_json(self, key)
    }

    /// Checks a revocation list file with the public key alone.
    ///
    /// # Errors
    /// As [`Manifest::check`].
    pub fn check(file: &[u8], public_key: &str) -> Result<Self, Rejected> {
        checked_json(file, public_key, Self::FORMAT, |l: &Self| &l.format)
    }
}
