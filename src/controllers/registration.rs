//! Mendaftar Akun: producers and user institutions ask for an account.
use axum::{
    extract::State,
    http::{header, StatusCode},
    Form,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{public_page, see_other, session::Visitor, PageResult};
use crate::{
    models::{
        organisations::Model as Organisation,
        throttle,
        users::{Registered, Registration},
        AppError,
    },
    settings::Settings,
    workers::mail_delivery::MailDelivery,
};

async fn render(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    visitor: &Visitor,
    status: StatusCode,
    form: &Registration,
    errors: serde_json::Value,
) -> PageResult {
    let throttled = (status == StatusCode::TOO_MANY_REQUESTS).then(|| throttle::REGISTRATION.message("pendaftaran akun"));
    let organisations: Vec<_> = Organisation::open_for_registration(&ctx.db)
        .await?
        .into_iter()
        .map(|o| json!({ "id": o.id.to_string(), "name": o.name, "kind": o.kind().label() }))
        .collect();
    public_page(v, visitor, status, "registration/new.html", json!({ "form": form, "organisations": organisations, "errors": errors, "throttled": throttled }))
}

async fn show(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor) -> PageResult {
    render(&ctx, &v, &visitor, StatusCode::OK, &Registration::default(), json!({})).await
}

/// The same answer whether an account was made, its email was already
/// registered (the owner is mailed) or its username taken (the applicant is
/// mailed): the form never tells who has an account.
async fn submit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, visitor: Visitor, Form(form): Form<Registration>) -> PageResult {
    match form.submit(&ctx.db, &visitor.ip, &Settings::get(&ctx).public_url).await {
        Ok(Registered::Received { mails }) => {
            MailDelivery::dispatch(&ctx, mails).await;
            Ok(see_other("/login?ok=daftar"))
        }
        Ok(Registered::Throttled) => {
            let mut response = render(&ctx, &v, &visitor, StatusCode::TOO_MANY_REQUESTS, &form, json!({})).await?;
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(throttle::REGISTRATION.window_secs));
            Ok(response)
        }
        Err(AppError::Invalid(errors)) => render(&ctx, &v, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &form, json!(errors)).await,
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new().add("/daftar", axum::routing::get(show).post(submit))
}
