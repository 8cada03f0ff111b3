//! Mendaftar Akun: producers and user institutions ask for an account.
use axum::{extract::State, http::StatusCode, Form};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{public_page, see_other, session::Visitor, PageResult};
use crate::models::{organisations::Model as Organisation, users::Registration, AppError};

async fn render(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    visitor: &Visitor,
    status: StatusCode,
    form: &Registration,
    errors: serde_json::Value,
) -> PageResult {
    let organisations: Vec<_> = Organisation::open_for_registration(&ctx.db)
        .await?
        .into_iter()
        .map(|o| json!({ "id": o.id.to_string(), "name": o.name, "kind": o.kind().label() }))
        .collect();
    public_page(v, visitor, status, "registration/new.html", json!({ "form": form, "organisations": organisations, "errors": errors }))
}

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor) -> PageResult {
    render(&ctx, &v, &visitor, StatusCode::OK, &Registration::default(), json!({})).await
}

async fn submit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor, Form(form): Form<Registration>) -> PageResult {
    match form.submit(&ctx.db, &visitor.ip).await {
        Ok(_) => Ok(see_other("/login?ok=daftar")),
        Err(AppError::Invalid(errors)) => render(&ctx, &v, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &form, json!(errors)).await,
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new().add("/daftar", axum::routing::get(show).post(submit))
}
