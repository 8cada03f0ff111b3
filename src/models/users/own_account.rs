//! What a person does with their own account: Mendaftar Akun
//! (registration, pending until the admin activates it), Change Password and
//! Profil Saya — each form checked whole before anything is written.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Deserialize;

use super::{hash_password, normalize_username, verify_password, ActiveModel, Column, Entity, Model, Status, PASSWORD_MAX, PASSWORD_MIN, PHOTO_AREA};
use crate::models::{
    _entities::organisations,
    audit_events::{Action, Actor, Event},
    errors::{AppResult, FieldErrors},
    mail_outbox,
    master_data::check_len,
    roles::{OrgKind, Role},
    sessions, throttle, uploads,
};

pub(super) fn check_password_rules(errors: &mut FieldErrors, field: &str, username: &str, password: &str, confirmation: &str) {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        errors.add(field, format!("Password baru minimal {PASSWORD_MIN} karakter."));
    } else if len > PASSWORD_MAX {
        errors.add(field, format!("Password baru maksimal {PASSWORD_MAX} karakter."));
    } else if password.trim().to_lowercase() == normalize_username(username) {
        errors.add(field, "Password tidak boleh sama dengan username.");
    }
    if password != confirmation {
        errors.add("confirmation", "Konfirmasi password tidak sama dengan password baru.");
    }
}

pub(super) fn check_email(errors: &mut FieldErrors, email: &str) {
    let email = email.trim();
    check_len(errors, "email", "Email", email, 1, 200);
    let valid =
        email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
            && !email.contains(char::is_whitespace);
    if !email.is_empty() && !valid {
        errors.add("email", "Format email tidak valid (contoh: nama@instansi.go.id).");
    }
}

fn check_phone(errors: &mut FieldErrors, phone: &str) {
    let phone = phone.trim();
    if phone.is_empty() {
        return;
    }
    let valid = phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) && phone.chars().filter(char::is_ascii_digit).count() >= 6;
    if !valid || phone.len() > 40 {
        errors.add("phone", "No. Telepon hanya berisi angka, spasi, +, - atau tanda kurung (minimal 6 angka).");
    }
}

pub(super) fn check_username(errors: &mut FieldErrors, username: &str) {
    let u = normalize_username(username);
    check_len(errors, "username", "Username", &u, 3, 60);
    if !u.is_empty() && !u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.') {
        errors.add("username", "Username hanya boleh berisi huruf kecil, angka, titik dan garis bawah.");
    }
}

/// A signed-in user's new email must not be another account's.
async fn check_unique_email<C: ConnectionTrait>(db: &C, errors: &mut FieldErrors, email: &str, except: Option<i32>) -> AppResult<()> {
    let mut q = Entity::find().filter(Column::Email.eq(email.trim().to_lowercase()));
    if let Some(id) = except {
        q = q.filter(Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        errors.add("email", "Email sudah terdaftar pada akun lain.");
    }
    Ok(())
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Mendaftar Akun: an account request of a producer or user institution.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct Registration {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub organisation_id: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default, skip_serializing)]
    pub confirmation: String,
}

/// What became of a registration. The page answers the same for every
/// `Received`, whether an account was made or not: only the mailbox of the
/// address concerned learns more.
#[derive(Debug)]
pub enum Registered {
    /// Handled; the ids are the queued mails (dispatch them after this returns).
    Received { mails: Vec<i32> },
    /// This address sent too many registrations lately; nothing was done.
    Throttled,
}

impl Registration {
    /// Checks the fields, then — throttled per address — creates a
    /// `pending` account (an admin must activate it) and mails the
    /// applicant. When the email is already registered, its owner is mailed
    /// instead and nothing is created; when only the username is taken, the
    /// applicant is mailed to choose another. The answer is the same in all
    /// three cases, and each costs one password hash.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn submit(&self, db: &DatabaseConnection, ip: &str, base_url: &str) -> AppResult<Registered> {
        let mut errors = FieldErrors::new();
        check_username(&mut errors, &self.username);
        check_len(&mut errors, "name", "Nama", &self.name, 1, 200);
        check_email(&mut errors, &self.email);
        check_phone(&mut errors, &self.phone);
        check_password_rules(&mut errors, "password", &self.username, &self.password, &self.confirmation);
        let org = match self.organisation_id.trim().parse::<i32>() {
            Ok(id) => {
                organisations::Entity::find_by_id(id)
                    .filter(organisations::Column::Active.eq(true))
                    .filter(organisations::Column::Kind.is_in([OrgKind::Produsen.as_str(), OrgKind::Lembaga.as_str(), OrgKind::DukcapilKota.as_str()]))
                    .one(db)
                    .await?
            }
            Err(_) => None,
        };
        if org.is_none() {
            errors.add("organisation_id", "Pilih organisasi Anda dari daftar.");
        }
        errors.into_result()?;
        let org = org.expect("checked above");
        let username = normalize_username(&self.username);
        let email = self.email.trim().to_lowercase();
        let actor = Actor::anonymous(Some(username.clone()), ip);

        let txn = crate::models::begin_write(db).await?;
        if !throttle::REGISTRATION.hit(&txn, ip).await? {
            Event::new(Action::RegistrationThrottled, "user").note(format!("username: {username}")).record(&txn, &actor).await?;
            txn.commit().await?;
            return Ok(Registered::Throttled);
        }
        txn.commit().await?;

        let password = self.password.clone();
        let hash = super::hashing(move || hash_password(&password)).await?;
        let txn = crate::models::begin_write(db).await?;
        let email_owner = Entity::find().filter(Column::Email.eq(email.as_str())).one(&txn).await?;
        let username_taken = Entity::find().filter(Column::Username.eq(username.as_str())).count(&txn).await? > 0;
        let mails = match (email_owner, username_taken) {
            (Some(owner), _) => {
                let message = crate::mailers::account::RegistrationEmailTaken {
                    name: &owner.name,
                    username: &owner.username,
                    login_url: crate::mailers::link(base_url, "/login"),
                }
                .message()?;
                let mails = mail_outbox::enqueue(&txn, std::slice::from_ref(&owner.email), &message).await?;
                Event::new(Action::RegistrationEmailTaken, "user")
                    .subject(owner.id, &owner.username)
                    .note(format!("username diminta: {username}; organisasi: {}", org.name))
                    .record(&txn, &actor)
                    .await?;
                mails
            }
            (None, true) => {
                let message = crate::mailers::account::RegistrationUsernameTaken {
                    name: self.name.trim(),
                    username: &username,
                    register_url: crate::mailers::link(base_url, "/daftar"),
                }
                .message()?;
                let mails = mail_outbox::enqueue(&txn, std::slice::from_ref(&email), &message).await?;
                Event::new(Action::RegistrationUsernameTaken, "user").note(format!("organisasi: {}", org.name)).record(&txn, &actor).await?;
                mails
            }
            (None, false) => {
                let kind = OrgKind::parse(&org.kind).unwrap_or(OrgKind::Lembaga);
                let now = Utc::now();
                let user = ActiveModel {
                    username: Set(username.clone()),
                    password_hash: Set(hash),
                    name: Set(self.name.trim().to_string()),
                    email: Set(email.clone()),
                    phone: Set(opt(&self.phone)),
                    role: Set(Role::for_kind(kind).as_str().to_string()),
                    organisation_id: Set(Some(org.id)),
                    status: Set(Status::Pending),
                    created_at: Set(now.into()),
                    updated_at: Set(now.into()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let message = crate::mailers::account::RegistrationReceived { name: &user.name, username: &user.username }.message()?;
                let mails = mail_outbox::enqueue(&txn, std::slice::from_ref(&user.email), &message).await?;
                Event::new(Action::UserRegistered, "user")
                    .subject(user.id, &user.username)
                    .transition("", Status::Pending.as_str())
                    .note(format!("organisasi: {}", org.name))
                    .record(&txn, &actor)
                    .await?;
                mails
            }
        };
        txn.commit().await?;
        Ok(Registered::Received { mails })
    }
}

/// Change Password form.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    pub old_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirmation: String,
}

impl PasswordChange {
    /// Sets the new password and revokes every other session of the user.
    ///
    /// # Errors
    /// `Invalid` for a wrong old password or a new one that breaks the rules.
    pub async fn apply(&self, db: &DatabaseConnection, user: &Model, session_id: i32, ip: &str) -> AppResult<u64> {
        let mut errors = FieldErrors::new();
        let old = self.old_password.clone();
        let hash = user.password_hash.clone();
        let old_ok = super::hashing(move || verify_password(&old, &hash)).await?;
        if !old_ok {
            errors.add("old_password", "Password lama salah.");
        }
        check_password_rules(&mut errors, "new_password", &user.username, &self.new_password, &self.confirmation);
        if old_ok && self.new_password == self.old_password {
            errors.add("new_password", "Password baru harus berbeda dari password lama.");
        }
        errors.into_result()?;
        let new = self.new_password.clone();
        let hash = super::hashing(move || hash_password(&new)).await?;
        let txn = crate::models::begin_write(db).await?;
        let mut active: ActiveModel = user.clone().into();
        active.password_hash = Set(hash);
        active.updated_at = Set(Utc::now().into());
        active.update(&txn).await?;
        let revoked = sessions::close_all_for_user(&txn, user.id, Some(session_id)).await?;
        Event::new(Action::UserPasswordChanged, "user")
            .subject(user.id, &user.username)
            .note(format!("{revoked} sesi lain dicabut"))
            .record(&txn, &Actor::user(user, ip))
            .await?;
        txn.commit().await?;
        Ok(revoked)
    }
}

/// Profil Saya: the fields a user may change about themself.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct ProfileUpdate {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

impl ProfileUpdate {
    #[must_use]
    pub fn from_user(user: &Model) -> Self {
        Self {
            name: user.name.clone(),
            email: user.email.clone(),
            address: user.address.clone().unwrap_or_default(),
            phone: user.phone.clone().unwrap_or_default(),
        }
    }

    /// Validates the fields; when they hold, stores the photo (already
    /// checked by content) under a fresh key, then saves everything with an
    /// audit row. The replaced photo file is removed after the commit.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn apply(&self, db: &DatabaseConnection, user: &Model, photo: Option<(&[u8], uploads::Kind)>, upload_dir: &str, ip: &str) -> AppResult<Model> {
        let mut errors = FieldErrors::new();
        check_len(&mut errors, "name", "Nama Profil", &self.name, 1, 200);
        check_email(&mut errors, &self.email);
        check_len(&mut errors, "address", "Alamat", &self.address, 0, 1000);
        check_phone(&mut errors, &self.phone);
        check_unique_email(db, &mut errors, &self.email, Some(user.id)).await?;
        errors.into_result()?;
        let stored = match photo {
            Some((bytes, kind)) => Some((uploads::store(upload_dir, PHOTO_AREA, bytes).await?, kind)),
            None => None,
        };
        let txn = crate::models::begin_write(db).await?;
        let mut active: ActiveModel = user.clone().into();
        active.name = Set(self.name.trim().to_string());
        active.email = Set(self.email.trim().to_lowercase());
        active.address = Set(opt(&self.address));
        active.phone = Set(opt(&self.phone));
        if let Some((key, kind)) = &stored {
            active.photo_key = Set(Some(key.clone()));
            active.photo_type = Set(Some(kind.content_type().to_string()));
        }
        active.updated_at = Set(Utc::now().into());
        let updated = active.update(&txn).await?;
        let mut event = Event::new(Action::UserProfileUpdated, "user").subject(user.id, &user.username);
        if stored.is_some() {
            event = event.note("foto profil diganti");
        }
        event.record(&txn, &Actor::user(user, ip)).await?;
        txn.commit().await?;
        if let (Some(_), Some(old)) = (&stored, &user.photo_key) {
            if let Some(path) = uploads::path_of(upload_dir, PHOTO_AREA, old) {
                let _ = tokio::fs::remove_file(path).await;
            }
        }
        Ok(updated)
    }
}
