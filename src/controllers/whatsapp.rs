//! The floating WhatsApp button of every page, and the admin's master-data
//! page for the number behind it (`/master/whatsapp`).
use axum::{extract::State, http::StatusCode, Form};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{app_page, see_other, session::Admin, Flash, PageResult};
use crate::{
    models::{
        portal_settings::{self, greeting, WhatsappForm, WhatsappNumber},
        AppError, FieldErrors,
    },
    views::layout::flash,
};

const CACHE_KEY: &str = "portal:whatsapp_number";
/// Another portal process shows a changed number after at most this long;
/// this process at once (the save drops the cached value).
const CACHE_SECS: u64 = 30;

/// What the cache keeps (a struct, so that "no number" is a value too).
#[derive(Serialize, Deserialize)]
struct Cached {
    number: Option<String>,
}

/// The number for this request's pages. A failure hides the button and is
/// logged; it never costs the page.
pub async fn number(ctx: &AppContext) -> Option<WhatsappNumber> {
    let db = ctx.db.clone();
    let cached = ctx
        .cache
        .get_or_insert_with_expiry(CACHE_KEY, std::time::Duration::from_secs(CACHE_SECS), async move {
            let number = portal_settings::whatsapp(&db).await.map_err(|e| loco_rs::Error::string(&e.to_string()))?;
            Ok(Cached { number: number.map(|n| n.as_str().to_string()) })
        })
        .await;
    match cached {
        Ok(c) => c.number.and_then(|n| WhatsappNumber::parse(&n).ok().flatten()),
        Err(err) => {
            tracing::warn!(err = err.to_string(), "whatsapp number unavailable; button hidden");
            None
        }
    }
}

/// What the layouts need for the button: its link, or null (no button).
#[must_use]
pub fn button(number: Option<&WhatsappNumber>, name: Option<&str>, organisation: Option<&str>) -> Value {
    number.map_or(Value::Null, |n| json!({ "href": n.link(&greeting(name, organisation)) }))
}

fn form_page(v: &ViewEngine<TeraView>, admin: &Admin, status: StatusCode, form: &WhatsappForm, errors: &FieldErrors, ok: Option<&str>) -> PageResult {
    let current = admin.0.visitor.whatsapp.as_ref().map(|n| format!("+{}", n.as_str()));
    app_page(v, &admin.0, status, "master/whatsapp.html", "master", json!({ "values": form, "errors": errors, "current": current, "flash": flash(ok) }))
}

async fn edit(v: ViewEngine<TeraView>, admin: Admin, axum::extract::Query(q): axum::extract::Query<Flash>) -> PageResult {
    let form = WhatsappForm { number: admin.0.visitor.whatsapp.as_ref().map(|n| format!("+{}", n.as_str())).unwrap_or_default() };
    form_page(&v, &admin, StatusCode::OK, &form, &FieldErrors::new(), q.ok())
}

async fn update(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, admin: Admin, Form(form): Form<WhatsappForm>) -> PageResult {
    match form.save(&ctx.db, admin.0.user(), admin.0.ip()).await {
        Ok(_) => {
            if let Err(err) = ctx.cache.remove(CACHE_KEY).await {
                tracing::warn!(err = err.to_string(), "whatsapp number cache not cleared; the old number shows until it expires");
            }
            Ok(see_other("/master/whatsapp?ok=disimpan"))
        }
        Err(AppError::Invalid(errors)) => form_page(&v, &admin, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None),
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new().add("/master/whatsapp", axum::routing::get(edit).post(update))
}
