//! Mails about accounts. They are queued on Loco's background worker, so a
//! page never waits on SMTP; a failed enqueue is logged and never undoes the
//! change that caused the mail.
#![allow(non_upper_case_globals)]

use include_dir::{include_dir, Dir};
use loco_rs::{
    app::AppContext,
    mailer::{self, Mailer, MailerOpts},
};
use serde_json::json;

use crate::{models::users::Model as User, settings::Settings};

static activated: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/src/mailers/account/activated");

pub struct AccountMailer;

impl Mailer for AccountMailer {
    fn opts() -> MailerOpts {
        MailerOpts { from: "SI-FILMA Dukcapil <no-reply@sifilma.local>".to_string(), ..Default::default() }
    }
}

impl AccountMailer {
    /// Tells an applicant that the admin activated the account.
    pub async fn activated(ctx: &AppContext, user: &User) {
        let settings = Settings::get(ctx);
        let args = mailer::Args {
            from: Some(settings.mail_from.clone()),
            to: user.email.clone(),
            locals: json!({ "name": user.name, "username": user.username, "login_url": format!("{}/login", settings.public_url.trim_end_matches('/')) }),
            ..Default::default()
        };
        tracing::info!(to = user.email, user_id = user.id, "mail: account activated");
        if let Err(err) = Self::mail_template(ctx, &activated, args).await {
            tracing::error!(err = err.to_string(), user_id = user.id, "mail: could not send account activation");
        }
    }
}
