//! Mails in Indonesian, HTML + plain text, rendered from
//! `src/mailers/templates/<mail>/{subject.txt,text.txt,html.html}` and queued
//! in the outbox inside the caller's transaction (see `models::mail_outbox`);
//! `workers::mail_delivery` sends them with Loco's mailer (lettre).
pub mod account;
pub mod handovers;
pub mod requests;
pub mod submissions;

use std::sync::LazyLock;

use include_dir::{include_dir, Dir};
use serde::Serialize;

use crate::models::{mail_outbox::Message, AppError, AppResult};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/src/mailers/templates");

/// Every mail template, parsed once; `.html` files are HTML-escaped.
static TERA: LazyLock<tera::Tera> = LazyLock::new(|| {
    let mut tera = tera::Tera::default();
    let mut files = Vec::new();
    for dir in TEMPLATES.dirs() {
        for file in dir.files() {
            let name = file.path().display().to_string();
            files.push((name, file.contents_utf8().expect("utf-8 template").to_string()));
        }
    }
    tera.add_raw_templates(files).expect("mail templates parse");
    tera
});

/// Renders the mail `name` with `locals`.
///
/// # Errors
/// When a template is missing or fails to render.
pub fn render<S: Serialize>(name: &str, locals: &S) -> AppResult<Message> {
    let context = tera::Context::from_serialize(locals).map_err(|e| AppError::Internal(format!("mail context: {e}")))?;
    let part = |file: &str| TERA.render(&format!("{name}/{file}"), &context).map_err(|e| AppError::Internal(format!("mail template {name}/{file}: {e}")));
    Ok(Message { subject: part("subject.txt")?.trim().to_string(), text: part("text.txt")?, html: part("html.html")? })
}

