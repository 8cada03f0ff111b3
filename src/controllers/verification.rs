//! The public verify page of hand-over documents: `/verifikasi?nomor=&kode=`
//! (the QR code's link), a number with the SHA-256 of the file, or a number
//! with the file itself (uploaded; only its SHA-256 is used, nothing is
//! kept). It shows the document's number, type, parties and date when both
//! match, and nothing else.
use axum::{
    extract::{Query, State},
    http::StatusCode,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{public_page, session::Visitor, Failure, PageResult};
use crate::models::{
    activations::{ActivationKey, Manifest, Rejected, RevocationList},
    audit_events::Action,
    documents, throttle,
};

/// The page's address.
pub const PATH: &str = "/verifikasi";
/// Largest upload the page takes (the whole request). The portal's biggest
/// document, a 10,000-row card list, is well under 1 MB; the session guard
/// refuses a bigger body with 413 before reading it.
pub const UPLOAD_LIMIT: usize = 8 * 1024 * 1024;

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
    let found = if asked { documents::verify(&ctx.db, &q.nomor, &q.kode).await? } else { None };
    let status = if asked && found.is_none() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    public_page(
        &v,
        &visitor,
        status,
        "verification/show.html",
        json!({ "asked": asked, "found": found, "nomor": q.nomor.trim(), "kode": q.kode.trim(), "public_key": public_key(&ctx) }),
    )
}

/// The file a person received, checked by its SHA-256. Anyone may upload,
/// so each address gets [`throttle::VERIFY_UPLOAD`] files per window.
async fn verify_file(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor, multipart: axum::extract::Multipart) -> PageResult {
    let limit = throttle::VERIFY_UPLOAD;
    if !limit.admit(&ctx.db, &visitor.ip, Action::VerifyThrottled, "document").await? {
        return Err(Failure::throttled(&limit.message("unggahan berkas verifikasi"), limit.window_secs));
    }
    let (fields, file) = super::read_multipart(multipart, "berkas").await?;
    if fields.get("jenis").is_some_and(|j| j == "manifest") {
        return manifest_checked(&ctx, &v, &visitor, file.map(|(bytes, _)| bytes)).await;
    }
    let nomor = fields.get("nomor").map_or("", |n| n.trim()).to_string();
    let Some((bytes, _)) = file else {
        return public_page(
            &v,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "verification/show.html",
            json!({ "asked": false, "nomor": nomor, "kode": "", "public_key": public_key(&ctx), "file_error": "Pilih berkas dokumen (.docx atau .xlsx) yang akan diperiksa." }),
        );
    };
    let hash = hex::encode(Sha256::digest(&bytes));
    let found = documents::verify(&ctx.db, &nomor, &hash).await?;
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    public_page(
        &v,
        &visitor,
        status,
        "verification/show.html",
        json!({ "asked": true, "found": found, "nomor": nomor, "kode": "", "by_file": true, "public_key": public_key(&ctx) }),
    )
}

/// The registry's public activation key, shown on the page.
fn public_key(ctx: &AppContext) -> String {
    ctx.shared_store.get::<ActivationKey>().map(|k| k.public_hex()).unwrap_or_default()
}

/// A manifest or revocation list checked against the registry's key (on
/// the blocking pool: it is parsing and signature arithmetic).
async fn manifest_checked(ctx: &AppContext, v: &ViewEngine<TeraView>, visitor: &Visitor, bytes: Option<Vec<u8>>) -> PageResult {
    let public = public_key(ctx);
    let Some(bytes) = bytes else {
        let data = json!({ "asked": false, "nomor": "", "kode": "", "public_key": public, "manifest_error": "Pilih berkas manifest (.manifest) yang akan diperiksa." });
        return public_page(v, visitor, StatusCode::UNPROCESSABLE_ENTITY, "verification/show.html", data);
    };
    let key = public.clone();
    let checked = crate::models::heavy::run(move || match Manifest::check(&bytes, &key) {
        Ok(m) => Ok(json!({ "kind": "Manifest aktivasi card reader", "number": m.activation_number, "reader": format!("{} ({})", m.reader_serial, m.reader_type), "sam": m.sam_serial, "institution": m.institution, "valid": format!("{} s.d. {}", m.valid_from, m.valid_until) })),
        Err(first) => RevocationList::check(&bytes, &key)
            .map(|l| json!({ "kind": "Daftar pencabutan aktivasi", "number": format!("nomor urut {}", l.sequence), "revoked": l.revoked.len() }))
            .map_err(|e| if e == Rejected::Malformed { first.to_string() } else { e.to_string() }),
    })
    .await
    .map_err(|e| crate::models::AppError::Internal(format!("manifest check: {e}")))?;
    let (status, data) = match checked {
        Ok(found) => (StatusCode::OK, json!({ "asked": false, "nomor": "", "kode": "", "public_key": public, "manifest": found })),
        Err(why) => (StatusCode::UNPROCESSABLE_ENTITY, json!({ "asked": false, "nomor": "", "kode": "", "public_key": public, "manifest_error": why })),
    };
    public_page(v, visitor, status, "verification/show.html", data)
}

pub fn routes() -> Routes {
    Routes::new().add(PATH, axum::routing::get(verify).post(verify_file))
}
