//! Frequent Asked Question: everyone signed in reads and searches the shown
//! entries; the admin also sees hidden ones and adds, edits, orders,
//! shows/hides and deletes (after a confirmation page) entries.
use axum::{
    extract::{Path, Query, RawQuery},
    http::StatusCode,
    Form,
};
use loco_rs::{
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::Db;
use super::{
    app_page, see_other,
    session::{Admin, Auth},
    strip_page, Failure, PageResult,
};
use crate::{
    models::{
        faq::{self, Direction, ListQuery, Reader},
        AppError, FieldErrors,
    },
    views::layout::{flash_from_query, pager},
};

const PER_PAGE: u64 = 50;

/// An id from the path; anything that is not one (text, overflow) is 404.
fn entry_id(raw: &str) -> Result<i32, Failure> {
    raw.parse::<i32>().ok().filter(|id| *id > 0).ok_or_else(Failure::not_found)
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<ListQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let reader = Reader::of(auth.user());
    let (entries, window) = faq::page(&db, reader, &q, PER_PAGE).await?;
    let base = strip_page(raw.as_deref());
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "faq/index.html",
        "faq",
        json!({
            "entries": entries, "q": q.q, "is_admin": reader == Reader::Admin,
            "pager": pager(&window, &base), "flash": flash_from_query(raw.as_deref()),
        }),
    )
}

fn form_page(v: &ViewEngine<TeraView>, auth: &Auth, status: StatusCode, id: Option<i32>, form: &faq::Form, errors: &FieldErrors) -> PageResult {
    app_page(
        v,
        auth,
        status,
        "faq/form.html",
        "faq",
        json!({ "id": id, "values": form, "errors": errors, "question_max": faq::QUESTION_MAX, "answer_max": faq::ANSWER_MAX }),
    )
}

async fn new(v: ViewEngine<TeraView>, Admin(auth): Admin) -> PageResult {
    form_page(&v, &auth, StatusCode::OK, None, &faq::Form::default(), &FieldErrors::new())
}

async fn create(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Form(form): Form<faq::Form>) -> PageResult {
    match form.create(&db, auth.user(), auth.ip()).await {
        Ok(_) => Ok(see_other("/faq?ok=disimpan")),
        Err(AppError::Invalid(errors)) => form_page(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, None, &form, &errors),
        Err(e) => Err(e.into()),
    }
}

async fn edit(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    let id = entry_id(&id)?;
    let entry = faq::find(&db, id).await?;
    form_page(&v, &auth, StatusCode::OK, Some(id), &faq::Form::from_model(&entry), &FieldErrors::new())
}

async fn update(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<String>, Form(form): Form<faq::Form>) -> PageResult {
    let id = entry_id(&id)?;
    match form.update(&db, auth.user(), id, auth.ip()).await {
        Ok(_) => Ok(see_other("/faq?ok=disimpan")),
        Err(AppError::Invalid(errors)) => form_page(&v, &auth, StatusCode::UNPROCESSABLE_ENTITY, Some(id), &form, &errors),
        Err(e) => Err(e.into()),
    }
}

async fn move_up(Db(db): Db, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    let id = entry_id(&id)?;
    faq::shift(&db, auth.user(), id, Direction::Up, auth.ip()).await?;
    Ok(see_other(&format!("/faq#faq-{id}")))
}

async fn move_down(Db(db): Db, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    let id = entry_id(&id)?;
    faq::shift(&db, auth.user(), id, Direction::Down, auth.ip()).await?;
    Ok(see_other(&format!("/faq#faq-{id}")))
}

async fn activate(Db(db): Db, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    faq::set_active(&db, auth.user(), entry_id(&id)?, true, auth.ip()).await?;
    Ok(see_other("/faq?ok=faq-ditampilkan"))
}

async fn deactivate(Db(db): Db, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    faq::set_active(&db, auth.user(), entry_id(&id)?, false, auth.ip()).await?;
    Ok(see_other("/faq?ok=faq-disembunyikan"))
}

/// The confirmation page of a deletion (works without JavaScript).
async fn confirm_delete(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    let entry = faq::find(&db, entry_id(&id)?).await?;
    app_page(&v, &auth, StatusCode::OK, "faq/delete.html", "faq", json!({ "entry": { "id": entry.id, "question": entry.question, "active": entry.active } }))
}

async fn delete(Db(db): Db, Admin(auth): Admin, Path(id): Path<String>) -> PageResult {
    faq::delete(&db, auth.user(), entry_id(&id)?, auth.ip()).await?;
    Ok(see_other("/faq?ok=faq-dihapus"))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/faq", axum::routing::get(index).post(create))
        .add("/faq/baru", axum::routing::get(new))
        .add("/faq/{id}", axum::routing::get(edit).post(update))
        .add("/faq/{id}/naik", axum::routing::post(move_up))
        .add("/faq/{id}/turun", axum::routing::post(move_down))
        .add("/faq/{id}/tampilkan", axum::routing::post(activate))
        .add("/faq/{id}/sembunyikan", axum::routing::post(deactivate))
        .add("/faq/{id}/hapus", axum::routing::get(confirm_delete).post(delete))
}
