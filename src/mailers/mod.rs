//! Mails in Indonesian, HTML + plain text, rendered from
//! `src/mailers/templates/<mail>/{subject.txt,text.txt,html.html}`.
//!
//! A mailer takes plain data (names, numbers, links) and returns the
//! rendered [`Message`]; it knows nothing of models or the database. The
//! models queue the message in the outbox inside the transaction of the
//! change it announces (`models::mail_outbox`), and
//! `workers::mail_delivery` sends it with Loco's mailer (lettre).
pub mod account;
pub mod activation_documents;
pub mod handovers;
pub mod requests;
pub mod submissions;

use std::sync::LazyLock;

use include_dir::{include_dir, Dir};
use serde::Serialize;

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

/// A rendered mail: subject, plain text and HTML.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A mail template that did not render (a bug, never the user's input).
#[derive(Debug, thiserror::Error)]
#[error("mail {0}")]
pub struct MailError(String);

/// Renders the mail `name` with `locals`.
///
/// # Errors
/// When a template is missing or fails to render.
pub fn render<S: Serialize>(name: &str, locals: &S) -> Result<Message, MailError> {
    let context = tera::Context::from_serialize(locals).map_err(|e| MailError(format!("context {name}: {e}")))?;
    let part = |file: &str| TERA.render(&format!("{name}/{file}"), &context).map_err(|e| MailError(format!("template {name}/{file}: {e}")));
    Ok(Message { subject: part("subject.txt")?.trim().to_string(), text: part("text.txt")?, html: part("html.html")? })
}

/// `base_url` + `path`, with exactly one slash between them.
#[must_use]
pub fn link(base_url: &str, path: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), path.trim_start_matches('/'))
}
