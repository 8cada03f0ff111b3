//! Mails about accounts.
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::models::{mail_outbox, users::Model as User, AppResult};

/// Tells an applicant that the admin activated the account.
///
/// # Errors
/// On database or template failure.
pub async fn activated<C: ConnectionTrait>(conn: &C, base_url: &str, user: &User) -> AppResult<Vec<i32>> {
    let message = super::render(
        "account_activated",
        &json!({ "name": user.name, "username": user.username, "login_url": format!("{}/login", base_url.trim_end_matches('/')) }),
    )?;
    mail_outbox::enqueue(conn, std::slice::from_ref(&user.email), &message).await
}
