//! Manual: the in-app user manual, one chapter per role plus the parts all
//! roles share. The reader's own chapter comes first; the others stay
//! readable. Every section has a stable anchor, and the "?" of each page
//! header links to the section about that page (`help_href`).
use axum::http::StatusCode;
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Serialize;
use serde_json::json;

use super::{app_page, session::Auth, PageResult};
use crate::models::roles::Role;

/// The anchor of the chapters every role shares.
pub const COMMON: &str = "umum";

/// Page keys (the `active` of `app_page`) explained in the shared chapter.
const COMMON_SECTIONS: [&str; 4] = ["dashboard", "faq", "reports", "manual"];

/// The anchor of a role's chapter.
#[must_use]
pub const fn chapter(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Operator => "operator",
        Role::Produsen => "produsen",
        Role::Lembaga => "lembaga",
        Role::DukcapilKota => "dukcapil-kota",
    }
}

/// Sections of a role's chapter, by page key (`<chapter>-<key>` anchors).
#[must_use]
pub const fn sections(role: Role) -> &'static [&'static str] {
    match role {
        Role::Admin => &["permintaan", "pengajuan", "personalisasi", "bast", "master", "pengguna", "audit", "faq"],
        Role::Operator => &["personalisasi"],
        Role::Produsen => &["permintaan", "pengajuan", "personalisasi", "bast"],
        Role::Lembaga | Role::DukcapilKota => &["permintaan", "bast"],
    }
}

/// Where the "?" of a page leads: the role's own section about the page
/// when there is one, else the shared one; the account pages (no menu
/// entry, `active` empty) lead to the account section.
#[must_use]
pub fn help_href(role: Role, active: &str) -> String {
    if sections(role).contains(&active) {
        format!("/manual#{}-{active}", chapter(role))
    } else if COMMON_SECTIONS.contains(&active) {
        format!("/manual#{COMMON}-{active}")
    } else if active.is_empty() {
        format!("/manual#{COMMON}-akun")
    } else {
        format!("/manual#{}", chapter(role))
    }
}

#[derive(Serialize)]
struct Chapter {
    id: &'static str,
    title: &'static str,
    mine: bool,
}

async fn show(v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    let mine = auth.user().role();
    let mut chapters = vec![Chapter { id: chapter(mine), title: mine.label(), mine: true }, Chapter { id: COMMON, title: "Penggunaan Umum", mine: false }];
    chapters.extend(Role::ALL.into_iter().filter(|r| *r != mine).map(|r| Chapter { id: chapter(r), title: r.label(), mine: false }));
    app_page(&v, &auth, StatusCode::OK, "manual/index.html", "manual", json!({ "chapters": chapters }))
}

pub fn routes() -> Routes {
    Routes::new().add("/manual", axum::routing::get(show))
}
