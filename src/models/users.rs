//! Accounts: login decisions, registration, passwords, profile and the
//! admin's management of accounts.
use std::sync::LazyLock;

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;

pub use super::_entities::users::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::organisations,
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    login_failures,
    master_data::check_len,
    roles::{OrgKind, Role},
    sessions, uploads,
};

pub use super::_entities::sea_orm_active_enums::UserStatus as Status;

impl Status {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Active, Self::Inactive];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    #[must_use]
    pub const fn badge(self) -> crate::models::Badge {
        crate::models::Badge { code: self.as_str(), label: self.label() }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pending => "Menunggu aktivasi",
            Self::Active => "Aktif",
            Self::Inactive => "Nonaktif",
        }
    }

    /// A registration waits for the admin; the admin activates and
    /// deactivates accounts (and may re-activate one).
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!((self, to), (Self::Pending, Self::Active | Self::Inactive) | (Self::Active, Self::Inactive) | (Self::Inactive, Self::Active))
    }
}

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// Hashes a password with argon2id and a fresh salt.
///
/// # Panics
/// Only if argon2 rejects its own default parameters.
#[must_use]
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hash").to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Unknown users are verified against this hash so both refusals cost the
/// same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("sifilma-dummy-password-never-valid"));

/// Why a login was refused; each maps to one Indonesian sentence.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Unknown user or wrong password: one message for both.
    BadCredentials,
    Throttled,
    Pending,
    Inactive,
}

impl LoginRefusal {
    #[must_use]
    pub const fn message(&self) -> &'static str {
        match self {
            Self::BadCredentials => "Username atau password salah.",
            Self::Throttled => "Terlalu banyak percobaan login yang gagal. Silakan coba lagi dalam 3 menit.",
            Self::Pending => "Akun Anda belum diaktifkan oleh admin Dukcapil.",
            Self::Inactive => "Akun Anda dinonaktifkan. Hubungi admin Dukcapil.",
        }
    }
}

/// The outcome of a login attempt.
pub enum LoginOutcome {
    SignedIn { token: String, user: Box<Model> },
    Refused(LoginRefusal),
}

#[must_use]
pub fn normalize_username(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Model {
    #[must_use]
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Lembaga)
    }

    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    #[must_use]
    pub fn initials(&self) -> String {
        self.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase()
    }

    /// # Errors
    /// On database failure.
    pub async fn find_by_username<C: ConnectionTrait>(db: &C, username: &str) -> AppResult<Option<Self>> {
        Ok(Entity::find().filter(Column::Username.eq(normalize_username(username))).one(db).await?)
    }

    /// Checks the credentials and, when they hold, opens a session — the
    /// session row, the audit row and the failure counters change in one
    /// transaction. Every decision is audited.
    ///
    /// # Errors
    /// On database failure.
    pub async fn login(db: &DatabaseConnection, username: &str, password: &str, ip: &str, user_agent: &str) -> AppResult<LoginOutcome> {
        let username = normalize_username(username);
        let keys = [login_failures::ip_key(ip), login_failures::account_key(&username)];
        let actor = Actor::anonymous(Some(username.chars().take(60).collect()), ip);
        let txn = crate::models::begin_write(db).await?;
        if login_failures::is_locked(&txn, &keys).await? {
            Event::new(Action::LoginThrottled, "user").record(&txn, &actor).await?;
            txn.commit().await?;
            return Ok(LoginOutcome::Refused(LoginRefusal::Throttled));
        }
        let user = Self::find_by_username(&txn, &username).await?;
        let hash = user.as_ref().map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str()).to_string();
        let password_owned = password.to_string();
        let valid =
            tokio::task::spawn_blocking(move || verify_password(&password_owned, &hash)).await.map_err(|e| AppError::Internal(format!("verify task: {e}")))?;
        let user = match user {
            Some(user) if valid => user,
            _ => {
                login_failures::record(&txn, &keys).await?;
                Event::new(Action::LoginFailed, "user").record(&txn, &actor).await?;
                txn.commit().await?;
                return Ok(LoginOutcome::Refused(LoginRefusal::BadCredentials));
            }
        };
        let refusal = match user.status {
            Status::Active => None,
            Status::Pending => Some(LoginRefusal::Pending),
            Status::Inactive => Some(LoginRefusal::Inactive),
        };
        if let Some(refusal) = refusal {
            Event::new(Action::LoginRefused, "user").subject(user.id, &user.username).note(user.status.label()).record(&txn, &actor).await?;
            txn.commit().await?;
            return Ok(LoginOutcome::Refused(refusal));
        }
        let token = sessions::open(&txn, user.id, ip, user_agent).await?;
        login_failures::clear_account(&txn, &username).await?;
        let mut active: ActiveModel = user.clone().into();
        active.last_login_at = Set(Some(Utc::now().into()));
        let user = active.update(&txn).await?;
        Event::new(Action::LoginSucceeded, "user").subject(user.id, &user.username).record(&txn, &Actor::user(&user, ip)).await?;
        txn.commit().await?;
        Ok(LoginOutcome::SignedIn { token, user: Box::new(user) })
    }
}

fn check_password_rules(errors: &mut FieldErrors, field: &str, username: &str, password: &str, confirmation: &str) {
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

fn check_email(errors: &mut FieldErrors, email: &str) {
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

fn check_username(errors: &mut FieldErrors, username: &str) {
    let u = normalize_username(username);
    check_len(errors, "username", "Username", &u, 3, 60);
    if !u.is_empty() && !u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.') {
        errors.add("username", "Username hanya boleh berisi huruf kecil, angka, titik dan garis bawah.");
    }
}

async fn check_unique<C: ConnectionTrait>(db: &C, errors: &mut FieldErrors, username: Option<&str>, email: &str, except: Option<i32>) -> AppResult<()> {
    if let Some(username) = username {
        let mut q = Entity::find().filter(Column::Username.eq(normalize_username(username)));
        if let Some(id) = except {
            q = q.filter(Column::Id.ne(id));
        }
        if q.count(db).await? > 0 {
            errors.add("username", "Username sudah dipakai.");
        }
    }
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

impl Registration {
    /// Creates a `pending` account; an admin must activate it.
    ///
    /// # Errors
    /// `Invalid` with a message per wrong field; nothing is saved then.
    pub async fn submit(&self, db: &DatabaseConnection, ip: &str) -> AppResult<Model> {
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
        let txn = crate::models::begin_write(db).await?;
        check_unique(&txn, &mut errors, Some(&self.username), &self.email, None).await?;
        errors.into_result()?;
        let org = org.expect("checked above");
        let kind = OrgKind::parse(&org.kind).unwrap_or(OrgKind::Lembaga);
        let password = self.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| AppError::Internal(e.to_string()))?;
        let now = Utc::now();
        let user = ActiveModel {
            username: Set(normalize_username(&self.username)),
            password_hash: Set(hash),
            name: Set(self.name.trim().to_string()),
            email: Set(self.email.trim().to_lowercase()),
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
        Event::new(Action::UserRegistered, "user")
            .subject(user.id, &user.username)
            .transition("", Status::Pending.as_str())
            .note(format!("organisasi: {}", org.name))
            .record(&txn, &Actor::anonymous(Some(user.username.clone()), ip))
            .await?;
        txn.commit().await?;
        Ok(user)
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
        let old_ok = tokio::task::spawn_blocking(move || verify_password(&old, &hash)).await.map_err(|e| AppError::Internal(e.to_string()))?;
        if !old_ok {
            errors.add("old_password", "Password lama salah.");
        }
        check_password_rules(&mut errors, "new_password", &user.username, &self.new_password, &self.confirmation);
        if old_ok && self.new_password == self.old_password {
            errors.add("new_password", "Password baru harus berbeda dari password lama.");
        }
        errors.into_result()?;
        let new = self.new_password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new)).await.map_err(|e| AppError::Internal(e.to_string()))?;
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
        check_unique(db, &mut errors, None, &self.email, Some(user.id)).await?;
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

/// Folder (under the upload dir) of profile photos.
pub const PHOTO_AREA: &str = "photos";

/// The admin's list of accounts.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct UserQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: super::paging::PageNo,
}

impl UserQuery {
    /// One page of accounts with their organisation, and the page count.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page<C: ConnectionTrait>(&self, db: &C, per_page: u64) -> AppResult<(Vec<(Model, Option<organisations::Model>)>, super::paging::Window)> {
        let mut q = Entity::find().find_also_related(organisations::Entity);
        let term = self.q.trim().to_lowercase();
        if !term.is_empty() {
            q = q.filter(Condition::any().add(Column::Username.contains(&term)).add(Column::Name.contains(self.q.trim())).add(Column::Email.contains(&term)));
        }
        if let Some(status) = Status::parse(&self.status) {
            q = q.filter(Column::Status.eq(status));
        }
        let window = super::paging::Window::new(self.page, per_page, q.clone().count(db).await?);
        let rows = q.order_by_asc(Column::Username).offset(window.offset()).limit(per_page).all(db).await?;
        Ok((rows, window))
    }
}

/// The admin's edit of role and organisation.
#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
pub struct Assignment {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub organisation_id: String,
}

impl ActiveModel {
    /// Moves the account to `to` (`active` or `inactive`); deactivation
    /// revokes its sessions at once, activation queues the applicant's mail
    /// (returned ids: dispatch them after this returns).
    ///
    /// # Errors
    /// `Conflict` when it already has that status, or for one's own account.
    pub async fn set_status(db: &DatabaseConnection, admin: &Model, user: Model, to: Status, base_url: &str, ip: &str) -> AppResult<(Model, Vec<i32>)> {
        if user.status == to {
            return Err(AppError::Conflict(format!("Akun {} sudah berstatus {}.", user.username, to.label())));
        }
        if !user.status.can_become(to) {
            return Err(AppError::Conflict(format!("Akun {} berstatus {}; tidak dapat diubah menjadi {}.", user.username, user.status.label(), to.label())));
        }
        if user.id == admin.id {
            return Err(AppError::Conflict("Anda tidak dapat mengubah status akun Anda sendiri.".into()));
        }
        let txn = crate::models::begin_write(db).await?;
        let from = user.status;
        let moved = Entity::update_many()
            .col_expr(Column::Status, sea_orm::prelude::Expr::value(to))
            .col_expr(Column::UpdatedAt, sea_orm::prelude::Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now())))
            .filter(Column::Id.eq(user.id))
            .filter(Column::Status.eq(from))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            return Err(AppError::Conflict(format!("Akun {} baru saja diubah admin lain. Muat ulang halaman.", user.username)));
        }
        let user = Entity::find_by_id(user.id).one(&txn).await?.ok_or(AppError::NotFound)?;
        let mails = if to == Status::Active {
            let message =
                crate::mailers::account::Activated { name: &user.name, username: &user.username, login_url: crate::mailers::link(base_url, "/login") }
                    .message()?;
            super::mail_outbox::enqueue(&txn, std::slice::from_ref(&user.email), &message).await?
        } else {
            sessions::close_all_for_user(&txn, user.id, None).await?;
            Vec::new()
        };
        Event::new(Action::UserStatusChanged, "user")
            .subject(user.id, &user.username)
            .transition(from.as_str(), to.as_str())
            .record(&txn, &Actor::user(admin, ip))
            .await?;
        txn.commit().await?;
        Ok((user, mails))
    }

    /// Sets a fresh random password, revokes the user's sessions and returns
    /// the password to show the admin once.
    ///
    /// # Errors
    /// On database failure.
    pub async fn reset_password(db: &DatabaseConnection, admin: &Model, user: Model, ip: &str) -> AppResult<String> {
        let password = sessions::random_token()[..16].to_string();
        let p = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&p)).await.map_err(|e| AppError::Internal(e.to_string()))?;
        let txn = crate::models::begin_write(db).await?;
        let mut active: Self = user.into();
        active.password_hash = Set(hash);
        active.updated_at = Set(Utc::now().into());
        let user = active.update(&txn).await?;
        sessions::close_all_for_user(&txn, user.id, None).await?;
        Event::new(Action::UserPasswordReset, "user").subject(user.id, &user.username).record(&txn, &Actor::user(admin, ip)).await?;
        txn.commit().await?;
        Ok(password)
    }

    /// Assigns a role and an organisation of the matching kind.
    ///
    /// # Errors
    /// `Invalid` for an unknown role or an organisation of the wrong kind.
    pub async fn assign(db: &DatabaseConnection, admin: &Model, user: Model, form: &Assignment, ip: &str) -> AppResult<Model> {
        let mut errors = FieldErrors::new();
        let role = Role::parse(form.role.trim());
        if role.is_none() {
            errors.add("role", "Pilih peran yang tersedia.");
        }
        let org = match form.organisation_id.trim().parse::<i32>() {
            Ok(id) => organisations::Entity::find_by_id(id).one(db).await?,
            Err(_) => None,
        };
        match (&role, &org) {
            (_, None) => errors.add("organisation_id", "Pilih organisasi."),
            (Some(role), Some(org)) if role.organisation_kind().as_str() != org.kind => {
                errors.add("organisation_id", format!("Peran {} harus berada pada organisasi berjenis {}.", role.label(), role.organisation_kind().label()));
            }
            _ => {}
        }
        if user.id == admin.id && role != Some(Role::Admin) {
            errors.add("role", "Anda tidak dapat mencabut peran admin dari akun Anda sendiri.");
        }
        errors.into_result()?;
        let (role, org) = (role.expect("checked"), org.expect("checked"));
        let txn = crate::models::begin_write(db).await?;
        let from = format!("{}@{}", user.role, user.organisation_id.unwrap_or_default());
        let mut active: Self = user.into();
        active.role = Set(role.as_str().to_string());
        active.organisation_id = Set(Some(org.id));
        active.updated_at = Set(Utc::now().into());
        let user = active.update(&txn).await?;
        if user.id != admin.id {
            sessions::close_all_for_user(&txn, user.id, None).await?;
        }
        Event::new(Action::UserAssigned, "user")
            .subject(user.id, &user.username)
            .transition(from, format!("{}@{}", role.as_str(), org.id))
            .record(&txn, &Actor::user(admin, ip))
            .await?;
        txn.commit().await?;
        Ok(user)
    }
}
