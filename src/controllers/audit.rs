//! Admin: the audit trail, filtered, and its CSV export.
use axum::{
    extract::{Query, RawQuery},
    http::StatusCode,
};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::Db;
use super::{app_page, session::Admin, strip_page, PageResult};
use crate::{
    models::audit_events::{AuditFilter, Model as AuditEvent},
    views::layout::pager,
};

const PER_PAGE: u64 = 50;
/// An export holds at most this many rows; narrow the filter for more.
const EXPORT_CAP: u64 = 100_000;

fn row(e: &AuditEvent) -> serde_json::Value {
    let entry = e.entry();
    json!({
        "id": e.id, "time": e.created_at.to_rfc3339(), "actor": entry.who, "action": entry.action, "code": e.action,
        "subject": e.subject_shown(), "subject_code": e.subject_type,
        "from": entry.from, "to": entry.to, "note": entry.note, "ip": e.ip.clone().unwrap_or_default(),
    })
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Query(filter): Query<AuditFilter>, RawQuery(raw): RawQuery) -> PageResult {
    let (events, window) = filter.page(&db, PER_PAGE).await?;
    let base = strip_page(raw.as_deref());
    let rows: Vec<_> = events.iter().map(row).collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "audit/index.html",
        "audit",
        json!({ "rows": rows, "subjects": crate::models::audit_events::SUBJECTS.iter().map(|(code, label)| json!({ "code": code, "label": label })).collect::<Vec<_>>(), "filter": { "actor": filter.actor, "action": filter.action, "subject": filter.subject, "from": filter.from, "to": filter.to }, "pager": pager(&window, &base), "export_query": base }),
    )
}

/// A spreadsheet opens a cell starting with = + - @ as a formula: such cells
/// are prefixed with an apostrophe so they stay text.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn export(Db(db): Db, Admin(_auth): Admin, Query(filter): Query<AuditFilter>) -> PageResult {
    let events = filter.all(&db, EXPORT_CAP).await?;
    let mut out = String::from("\u{feff}No,Waktu (WIB),Pengguna,Aksi,Kode Aksi,Subjek,Dari,Menjadi,Catatan,IP\r\n");
    for e in &events {
        let time = e.created_at.with_timezone(&crate::locale::wib()).format("%Y-%m-%d %H:%M:%S").to_string();
        let entry = e.entry();
        let cells = [
            e.id.to_string(),
            time,
            e.actor_name.clone().unwrap_or_default(),
            entry.action.to_string(),
            e.action.clone(),
            e.subject_shown(),
            entry.from.to_string(),
            entry.to.to_string(),
            e.note.clone().unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
        ];
        out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    let name = format!("Audit-SIFILMA-{}.csv", chrono::Utc::now().with_timezone(&crate::locale::wib()).format("%Y%m%d-%H%M"));
    Ok(super::send_file("text/csv; charset=utf-8", &name, out.into_bytes()))
}

pub fn routes() -> Routes {
    Routes::new().add("/admin/audit", axum::routing::get(index)).add("/admin/audit/export", axum::routing::get(export))
}
