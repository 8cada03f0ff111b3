//! Portal settings the admin keeps as master data, one row per key. The
//! first is the admin's WhatsApp number behind the floating chat button
//! (seed manual, "Chat via WhatsApp"): unset means no button.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

pub use super::_entities::portal_settings::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::users,
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult},
};

/// The key of the WhatsApp number.
pub const WHATSAPP_KEY: &str = "whatsapp_number";
/// Audit subject type of a setting.
pub const SUBJECT: &str = "setting";

/// A WhatsApp number in the international form `wa.me` wants: 8 to 15
/// digits, country code first (`62…` for Indonesia), nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WhatsappNumber(String);

impl WhatsappNumber {
    /// Spaces, dashes, dots, brackets and a leading `+` are dropped; a
    /// domestic `08…` becomes `628…`. `None` for an empty input (the number
    /// is cleared).
    ///
    /// # Errors
    /// An Indonesian message saying what is wrong with the number.
    pub fn parse(raw: &str) -> Result<Option<Self>, &'static str> {
        let trimmed = raw.trim();
        let kept: String = trimmed.strip_prefix('+').unwrap_or(trimmed).chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        if kept.is_empty() {
            return Ok(None);
        }
        if !kept.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Nomor WhatsApp hanya boleh berisi angka (spasi, tanda hubung dan + di depan boleh).");
        }
        let digits = match kept.strip_prefix('0') {
            Some(rest) if rest.starts_with('8') => format!("62{rest}"),
            Some(_) => return Err("Nomor yang diawali 0 harus nomor seluler 08…; untuk nomor lain tulis kode negaranya, misalnya 62…"),
            None => kept,
        };
        if !(8..=15).contains(&digits.len()) {
            return Err("Nomor WhatsApp terdiri dari 8 sampai 15 angka termasuk kode negara, misalnya 6281234567890.");
        }
        Ok(Some(Self(digits)))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The chat link with `message` typed in: `https://wa.me/<digits>?text=…`.
    #[must_use]
    pub fn link(&self, message: &str) -> String {
        format!("https://wa.me/{}?text={}", self.0, percent_encode(message))
    }
}

/// Every byte but the URL-unreserved ones as `%XX` (a space is `%20`, never `+`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The greeting typed into the chat: who writes and for which
/// organisation when signed in, a neutral one otherwise.
#[must_use]
pub fn greeting(name: Option<&str>, organisation: Option<&str>) -> String {
    match (name.map(str::trim).filter(|n| !n.is_empty()), organisation.map(str::trim).filter(|o| !o.is_empty())) {
        (Some(name), Some(org)) => format!("Halo Admin SI-FILMA, saya {name} dari {org}. Saya ingin bertanya tentang "),
        (Some(name), None) => format!("Halo Admin SI-FILMA, saya {name}. Saya ingin bertanya tentang "),
        _ => "Halo Admin SI-FILMA, saya ingin bertanya tentang layanan kartu SAM.".to_string(),
    }
}

/// The number set now, if any (a stored value that no longer parses counts as unset).
///
/// # Errors
/// On database failure.
pub async fn whatsapp(db: &DatabaseConnection) -> AppResult<Option<WhatsappNumber>> {
    let row = Entity::find().filter(Column::Key.eq(WHATSAPP_KEY)).one(db).await?;
    Ok(row.and_then(|r| r.value).and_then(|v| WhatsappNumber::parse(&v).ok().flatten()))
}

/// What the settings form sends.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct WhatsappForm {
    #[serde(default)]
    pub number: String,
}

impl WhatsappForm {
    /// Stores the number (or clears it) with its audit row.
    ///
    /// # Errors
    /// `Invalid` on the `number` field for a bad number; database failures.
    pub async fn save(&self, db: &DatabaseConnection, admin: &users::Model, ip: &str) -> AppResult<Option<WhatsappNumber>> {
        let number = WhatsappNumber::parse(&self.number).map_err(|m| AppError::field("number", m))?;
        let txn = super::begin_write(db).await?;
        let existing = Entity::find().filter(Column::Key.eq(WHATSAPP_KEY)).one(&txn).await?;
        let before = existing.as_ref().and_then(|r| r.value.clone()).unwrap_or_default();
        let after = number.as_ref().map(|n| n.0.clone()).unwrap_or_default();
        if before == after {
            txn.commit().await?;
            return Ok(number);
        }
        let now = Utc::now();
        let saved = match existing {
            Some(row) => {
                let mut model: ActiveModel = row.into();
                model.value = Set(number.as_ref().map(|n| n.0.clone()));
                model.updated_at = Set(now.into());
                model.update(&txn).await?
            }
            None => {
                ActiveModel {
                    key: Set(WHATSAPP_KEY.to_string()),
                    value: Set(number.as_ref().map(|n| n.0.clone())),
                    updated_at: Set(now.into()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        let shown = |v: &str| if v.is_empty() { "(kosong)".to_string() } else { format!("+{v}") };
        Event::new(Action::WhatsappNumberChanged, SUBJECT)
            .subject(saved.id, "Nomor WhatsApp admin")
            .note(format!("{} → {}", shown(&before), shown(&after)))
            .record(&txn, &Actor::user(admin, ip))
            .await?;
        txn.commit().await?;
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_or_refused() {
        for (raw, want) in [
            ("0812-3456-7890", Ok(Some("6281234567890"))),
            ("+62 812 3456 7890", Ok(Some("6281234567890"))),
            ("6281234567890", Ok(Some("6281234567890"))),
            ("  ", Ok(None)),
            ("0812abc", Err(())),
            ("021-555-1234", Err(())),
            ("1234567", Err(())),
            ("1234567890123456", Err(())),
            ("+", Ok(None)),
        ] {
            let got = WhatsappNumber::parse(raw).map(|n| n.map(|n| n.0)).map_err(|_| ());
            assert_eq!(got, want.map(|w| w.map(str::to_string)), "{raw:?}");
        }
    }

    #[test]
    fn the_link_percent_encodes_the_message() {
        let n = WhatsappNumber::parse("0812 3456 7890").unwrap().unwrap();
        assert_eq!(n.link("Halo & selamat pagi?"), "https://wa.me/6281234567890?text=Halo%20%26%20selamat%20pagi%3F");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
