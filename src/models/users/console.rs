//! What the registry's IT team does at the server's console when nobody can
//! sign in: create the first admin, reset a password, deactivate an account
//! (`cargo loco task …`, see `crate::tasks::accounts`), and the one-time
//! set-password links those tasks print.
//!
//! Rules:
//! - A password never travels on a command line or into a log: the console
//!   either reads it without echo or prints a link, valid 24 h and used
//!   once, whose token is stored only as its SHA-256.
//! - Every change is audited in its own transaction, the actor being the
//!   console's operating-system account.
//! - `create_admin` is idempotent: run again with the same username and
//!   email it changes nothing and says so.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{
    hash_password, hashing, normalize_username,
    own_account::{check_email, check_password_rules, check_username},
    ActiveModel, Column, Entity, Model, Status,
};
use crate::models::{
    _entities::{organisations, password_setups},
    audit_events::{Action, Actor, Event},
    errors::{AppError, AppResult, FieldErrors},
    roles::{OrgKind, Role},
    sessions,
};

/// The registry's own organisation, created by the first `create_admin`.
pub const REGISTRY_NAME: &str = "Ditjen Dukcapil Kemendagri";
/// How long a set-password link stays valid.
pub const LINK_HOURS: i64 = 24;
/// The page a link opens (followed by the token).
pub const LINK_PATH: &str = "/atur-password/";

/// What `create_admin` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    Created(Model),
    /// The same admin exists already: nothing was changed.
    AlreadyThere(Model),
}

/// The first admin's details, checked like Mendaftar Akun's fields.
pub struct FirstAdmin<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub name: &'a str,
}

impl FirstAdmin<'_> {
    /// Creates the registry's organisation (when missing) and an active admin
    /// in it whose password is unusable until set (prompt or link).
    ///
    /// # Errors
    /// `Invalid` for a malformed username/email or a username or email that
    /// belongs to another account; nothing is written then.
    pub async fn create(&self, db: &DatabaseConnection) -> AppResult<Bootstrap> {
        let username = normalize_username(self.username);
        let email = self.email.trim().to_lowercase();
        let mut errors = FieldErrors::new();
        check_username(&mut errors, &username);
        check_email(&mut errors, &email);
        errors.into_result()?;
        if let Some(existing) = Entity::find().filter(Column::Username.eq(username.as_str())).one(db).await? {
            if existing.email == email && existing.role == Role::Admin.as_str() {
                return Ok(Bootstrap::AlreadyThere(existing));
            }
            return Err(AppError::field("username", format!("Username {username} sudah dipakai akun lain; pilih username lain.")));
        }
        if Entity::find().filter(Column::Email.eq(email.as_str())).one(db).await?.is_some() {
            return Err(AppError::field("email", format!("Email {email} sudah terdaftar pada akun lain.")));
        }
        let unusable = sessions::random_token();
        let hash = hashing(move || hash_password(&unusable)).await?;
        let console = Actor::console();
        let txn = crate::models::begin_write(db).await?;
        let registry = registry_organisation(&txn, &console).await?;
        let now = Utc::now();
        let name = self.name.trim();
        let user = ActiveModel {
            username: Set(username.clone()),
            password_hash: Set(hash),
            name: Set(if name.is_empty() { "Administrator".to_string() } else { name.chars().take(120).collect() }),
            email: Set(email),
            role: Set(Role::Admin.as_str().to_string()),
            organisation_id: Set(Some(registry.id)),
            status: Set(Status::Active),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Event::new(Action::AdminCreatedOnServer, "user").subject(user.id, &user.username).note(registry.name.clone()).record(&txn, &console).await?;
        txn.commit().await?;
        Ok(Bootstrap::Created(user))
    }
}

/// The active organisation of kind `pusat`, created when there is none.
async fn registry_organisation<C: ConnectionTrait>(db: &C, console: &Actor) -> AppResult<organisations::Model> {
    let found =
        organisations::Entity::find().filter(organisations::Column::Kind.eq(OrgKind::Pusat.as_str())).order_by_asc(organisations::Column::Id).one(db).await?;
    if let Some(org) = found {
        return Ok(org);
    }
    let now = Utc::now();
    let org = organisations::ActiveModel {
        name: Set(REGISTRY_NAME.to_string()),
        kind: Set(OrgKind::Pusat.as_str().to_string()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Event::new(Action::MasterCreated, "organisation").subject(org.id, &org.name).record(db, console).await?;
    Ok(org)
}

/// The account `username`, or a message naming it.
///
/// # Errors
/// `Invalid` when there is no such account.
pub async fn account(db: &DatabaseConnection, username: &str) -> AppResult<Model> {
    let username = normalize_username(username);
    Entity::find()
        .filter(Column::Username.eq(username.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::field("username", format!("Tidak ada akun dengan username {username}.")))
}

/// Issues a one-time set-password link for `user` (earlier unused links of
/// the account stop working) and returns its token.
///
/// # Errors
/// On database failure.
pub async fn issue_link(db: &DatabaseConnection, user: &Model) -> AppResult<String> {
    let token = sessions::random_token();
    let now = Utc::now();
    let txn = crate::models::begin_write(db).await?;
    password_setups::Entity::delete_many()
        .filter(password_setups::Column::UserId.eq(user.id))
        .filter(password_setups::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    password_setups::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(sessions::hash_token(&token)),
        expires_at: Set((now + Duration::hours(LINK_HOURS)).into()),
        created_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Event::new(Action::PasswordLinkIssued, "user")
        .subject(user.id, &user.username)
        .note(format!("berlaku {LINK_HOURS} jam"))
        .record(&txn, &Actor::console())
        .await?;
    txn.commit().await?;
    Ok(token)
}

/// Sets `password` (typed twice at the console) and ends the account's
/// sessions.
///
/// # Errors
/// `Invalid` when the password breaks the rules or the two differ.
pub async fn set_password(db: &DatabaseConnection, user: &Model, password: &str, confirmation: &str) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    check_password_rules(&mut errors, "password", &user.username, password, confirmation);
    errors.into_result()?;
    let owned = password.to_string();
    let hash = hashing(move || hash_password(&owned)).await?;
    let txn = crate::models::begin_write(db).await?;
    let mut active: ActiveModel = user.clone().into();
    active.password_hash = Set(hash);
    active.updated_at = Set(Utc::now().into());
    active.update(&txn).await?;
    sessions::close_all_for_user(&txn, user.id, None).await?;
    Event::new(Action::UserPasswordReset, "user").subject(user.id, &user.username).record(&txn, &Actor::console()).await?;
    txn.commit().await?;
    Ok(())
}

/// Deactivates `user` from the console: its sessions end at once.
///
/// # Errors
/// `Conflict` when it is inactive already.
pub async fn deactivate(db: &DatabaseConnection, user: &Model) -> AppResult<()> {
    if user.status == Status::Inactive {
        return Err(AppError::Conflict(format!("Akun {} sudah nonaktif.", user.username)));
    }
    let txn = crate::models::begin_write(db).await?;
    let moved = Entity::update_many()
        .col_expr(Column::Status, sea_orm::prelude::Expr::value(Status::Inactive))
        .col_expr(Column::UpdatedAt, sea_orm::prelude::Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(Utc::now())))
        .filter(Column::Id.eq(user.id))
        .filter(Column::Status.eq(user.status))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::Conflict(format!("Akun {} baru saja diubah; jalankan lagi.", user.username)));
    }
    sessions::close_all_for_user(&txn, user.id, None).await?;
    Event::new(Action::UserStatusChanged, "user")
        .subject(user.id, &user.username)
        .transition(user.status.as_str(), Status::Inactive.as_str())
        .record(&txn, &Actor::console())
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A set-password link as its page sees it.
pub struct Link {
    pub setup: password_setups::Model,
    pub user: Model,
}

impl Link {
    /// The unused, unexpired link of `token` whose account may sign in.
    ///
    /// # Errors
    /// `NotFound` for an unknown, used or expired token (one answer for
    /// all: a token is not to be probed).
    pub async fn find(db: &DatabaseConnection, token: &str) -> AppResult<Self> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::NotFound);
        }
        let setup = password_setups::Entity::find()
            .filter(password_setups::Column::TokenHash.eq(sessions::hash_token(token)))
            .filter(password_setups::Column::UsedAt.is_null())
            .filter(password_setups::Column::ExpiresAt.gt(Utc::now()))
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let user = Entity::find_by_id(setup.user_id).one(db).await?.filter(|u| u.status == Status::Active).ok_or(AppError::NotFound)?;
        Ok(Self { setup, user })
    }

    /// Sets the password and uses the link up (a second use finds nothing).
    ///
    /// # Errors
    /// `Invalid` when the password breaks the rules; `NotFound` when the
    /// link was used meanwhile.
    pub async fn redeem(self, db: &DatabaseConnection, password: &str, confirmation: &str, ip: &str) -> AppResult<Model> {
        let mut errors = FieldErrors::new();
        check_password_rules(&mut errors, "password", &self.user.username, password, confirmation);
        errors.into_result()?;
        let owned = password.to_string();
        let hash = hashing(move || hash_password(&owned)).await?;
        let now = Utc::now();
        let txn = crate::models::begin_write(db).await?;
        let used = password_setups::Entity::update_many()
            .col_expr(password_setups::Column::UsedAt, sea_orm::prelude::Expr::value(sea_orm::prelude::DateTimeWithTimeZone::from(now)))
            .filter(password_setups::Column::Id.eq(self.setup.id))
            .filter(password_setups::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(AppError::NotFound);
        }
        let mut active: ActiveModel = self.user.clone().into();
        active.password_hash = Set(hash);
        active.updated_at = Set(now.into());
        let user = active.update(&txn).await?;
        sessions::close_all_for_user(&txn, user.id, None).await?;
        Event::new(Action::PasswordSetByLink, "user").subject(user.id, &user.username).record(&txn, &Actor::user(&user, ip)).await?;
        txn.commit().await?;
        Ok(user)
    }
}
