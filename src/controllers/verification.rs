//! The public verify page of hand-over documents: `/verifikasi?nomor=&kode=`
//! (the QR code's link), or a number with the SHA-256 of the file. It shows
//! the document's number, type, parties and date when both match, and
//! nothing else.
use axum::{extract::{Query, State}, http::StatusCode};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::json;

use super::{session::Visitor, PageResult};
use crate::{models::archived_documents, views::layout::public_page};

#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    #[serde(default)]
    nomor: String,
    /// Kode verifikasi printed on the document, or the file's SHA-256.
    #[serde(default)]
    kode: String,
}

async fn verify(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor, Query(q): Query<VerifyQuery>) -> PageResult {
    let asked = !q.nomor.trim().is_empty() || !q.kode.trim().is_empty();
    let found = if asked { archived_documents::verify(&ctx.db, &q.nomor, &q.kode).await? } else { None };
    let status = if asked && found.is_none() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    public_page(&v, &visitor, status, "verification/show.html", json!({ "asked": asked, "found": found, "nomor": q.nomor.trim(), "kode": q.kode.trim() }))
}

pub fn routes() -> Routes {
    Routes::new().add("/verifikasi", axum::routing::get(verify))
}
