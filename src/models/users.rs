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

pub mod console;
pub mod own_account;

pub use super::_entities::users::{ActiveModel, Column, Entity, Model};
use super::{
    _entities::organisations,
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    login_failures,
    roles::Role,
    sessions,
};
pub use own_account::{PasswordChange, ProfileUpdate, Registered, Registration};

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

/// Password hashes (argon2: tens of milliseconds of CPU and ~19 MiB each)
/// are computed on the blocking pool, at most half the cores at once: a
/// burst of logins (a morning, a load test) queues here, holding no
/// database connection, instead of taking every core from the pages.
static HASHERS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))));

/// Runs `work` (hashing or verifying a password) in a hashing slot.
///
/// # Errors
/// `Internal` when the work panicked.
pub async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _slot = HASHERS.acquire().await.map_err(|e| AppError::Internal(format!("hashing slot: {e}")))?;
    crate::models::heavy::run(work).await.map_err(|e| AppError::Internal(format!("hashing task: {e}")))
}

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
    /// The account's organisation was deactivated (master data).
    OrganisationInactive,
}

impl LoginRefusal {
    #[must_use]
    pub const fn message(&self) -> &'static str {
        match self {
            Self::BadCredentials => "Username atau password salah.",
            Self::Throttled => "Terlalu banyak percobaan login yang gagal dari alamat jaringan Anda. Silakan coba lagi dalam 3 menit.",
            Self::Pending => "Akun Anda belum diaktifkan oleh admin Dukcapil.",
            Self::Inactive => "Akun Anda dinonaktifkan. Hubungi admin Dukcapil.",
            Self::OrganisationInactive => "Organisasi akun Anda dinonaktifkan. Hubungi admin Dukcapil.",
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
    /// The password is verified (argon2, tens of milliseconds) on a blocking
    /// thread **before** the write transaction: the lock-out and the account
    /// are read first, without a transaction; then a short write transaction
    /// reads them again (another login may have counted a failure, or the
    /// account changed meanwhile) and writes the outcome. A write transaction
    /// on SQLite holds the one write lock, so none may wait on hashing.
    ///
    /// # Errors
    /// On database failure.
    pub async fn login(db: &DatabaseConnection, username: &str, password: &str, ip: &str, user_agent: &str) -> AppResult<LoginOutcome> {
        let username = normalize_username(username);
        let keys = login_failures::Keys::new(&username, ip);
        let actor = Actor::anonymous(Some(username.chars().take(60).collect()), ip);
        let locked = login_failures::is_locked(db, &keys).await?;
        let verified = if locked {
            None
        } else {
            let user = Self::find_by_username(db, &username).await?;
            let hash = user.as_ref().map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str()).to_string();
            let password_owned = password.to_string();
            let valid = hashing(move || verify_password(&password_owned, &hash)).await?;
            // The hash that was checked: the account must still carry it.
            user.filter(|_| valid).map(|u| u.password_hash)
        };

        let txn = crate::models::begin_write(db).await?;
        if locked || login_failures::is_locked(&txn, &keys).await? {
            Event::new(Action::LoginThrottled, "user").record(&txn, &actor).await?;
            txn.commit().await?;
            return Ok(LoginOutcome::Refused(LoginRefusal::Throttled));
        }
        let user = match (verified, Self::find_by_username(&txn, &username).await?) {
            (Some(checked), Some(user)) if user.password_hash == checked => user,
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
        let organisation = match user.organisation_id {
            Some(id) => organisations::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        if let Some(org) = organisation.filter(|o| !o.active) {
            Event::new(Action::LoginRefusedOrganisation, "user")
                .subject(user.id, &user.username)
                .note(format!("organisasi: {}", org.name))
                .record(&txn, &actor)
                .await?;
            txn.commit().await?;
            return Ok(LoginOutcome::Refused(LoginRefusal::OrganisationInactive));
        }
        let token = sessions::open(&txn, user.id, ip, user_agent).await?;
        login_failures::clear_account(&txn, &keys).await?;
        let mut active: ActiveModel = user.clone().into();
        active.last_login_at = Set(Some(Utc::now().into()));
        let user = active.update(&txn).await?;
        Event::new(Action::LoginSucceeded, "user").subject(user.id, &user.username).record(&txn, &Actor::user(&user, ip)).await?;
        txn.commit().await?;
        Ok(LoginOutcome::SignedIn { token, user: Box::new(user) })
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
        let hash = hashing(move || hash_password(&p)).await?;
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
