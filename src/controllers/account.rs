//! The user menu: Profil Saya (with the photo) and Change Password.
use axum::{
    extract::{Multipart, Query, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Form,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::Db;
use super::{app_page, read_multipart, see_other, session::Auth, Failure, Flash, PageResult};
use crate::{
    models::{
        uploads::{self, check_photo},
        users::{PasswordChange, ProfileUpdate, PHOTO_AREA},
        AppError, FieldErrors,
    },
    settings::Settings,
    views::layout::flash,
};

async fn password_form(v: ViewEngine<TeraView>, auth: Auth) -> PageResult {
    app_page(&v, &auth, StatusCode::OK, "account/password.html", "", json!({}))
}

async fn change_password(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Form(form): Form<PasswordChange>) -> PageResult {
    match form.apply(&db, auth.user(), auth.current.session.id, auth.ip()).await {
        Ok(_) => Ok(see_other("/dashboard?ok=password")),
        Err(AppError::Invalid(errors)) => app_page(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, "account/password.html", "", json!({ "errors": errors })),
        Err(e) => Err(e.into()),
    }
}

fn profile_page(v: &ViewEngine<TeraView>, auth: &Auth, status: StatusCode, form: &ProfileUpdate, errors: &FieldErrors, ok: Option<&str>) -> PageResult {
    app_page(v, auth, status, "account/profile.html", "", json!({ "form": form, "errors": errors, "flash": flash(ok) }))
}

async fn profile(v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<Flash>) -> PageResult {
    profile_page(&v, &auth, StatusCode::OK, &ProfileUpdate::from_user(auth.user()), &FieldErrors::new(), q.ok())
}

async fn update_profile(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, multipart: Multipart) -> PageResult {
    let (fields, photo) = read_multipart(multipart, "photo").await?;
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let form = ProfileUpdate { name: field("name"), email: field("email"), address: field("address"), phone: field("phone") };
    let photo = photo.map(|(bytes, _)| bytes);
    let kind = match photo.as_deref().map(check_photo).transpose() {
        Ok(kind) => kind,
        Err(AppError::Invalid(errors)) => return profile_page(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None),
        Err(e) => return Err(e.into()),
    };
    let upload_dir = Settings::get(&ctx).upload_dir.clone();
    let photo = photo.as_deref().zip(kind);
    match form.apply(&ctx.db, auth.user(), photo, &upload_dir, auth.ip()).await {
        Ok(_) => Ok(see_other("/profil?ok=profil")),
        Err(AppError::Invalid(errors)) => profile_page(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None),
        Err(e) => Err(e.into()),
    }
}

/// The signed-in user's own photo, with the content type recorded at upload
/// (never guessed from a name) and `nosniff`.
async fn photo(State(ctx): State<AppContext>, auth: Auth) -> PageResult {
    let user = auth.user();
    let (Some(key), Some(kind)) = (&user.photo_key, user.photo_type.as_deref().and_then(uploads::Kind::from_content_type)) else {
        return Err(Failure::not_found());
    };
    let path = uploads::path_of(&Settings::get(&ctx).upload_dir, PHOTO_AREA, key).ok_or_else(Failure::not_found)?;
    let bytes = tokio::fs::read(path).await.map_err(|_| Failure::not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.content_type()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"foto-profil\""),
            // Per-user content: never kept by any cache, like every page.
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/password", axum::routing::get(password_form).post(change_password))
        .add("/profil", axum::routing::get(profile).post(update_profile))
        .add("/profil/foto", axum::routing::get(photo))
}
