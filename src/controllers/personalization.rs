//! Proses Personalisasi (admin and operators): the queue of accepted
//! submissions, and per submission its perso data — Generate, Clear All,
//! Export Excel — and the runs on the reader stations: start a run, watch its
//! live progress, retry failed cards, override a card (admin), Done.
//! Producers and institutions follow it read-only (list, View, progress),
//! scoped to what they may see.
use axum::{
    extract::{Path, Query, RawQuery, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Form as AxumForm, Json,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;

use super::Db;
use super::{app_page, see_other, session::Auth, strip_page, Failure, Flash, PageResult};
use crate::models::{
    paging::PageNo,
    runs::follow::{self, Looker},
};
use crate::{
    models::{
        _entities::cards,
        _entities::{organisations, personalization_requests as requests, submissions},
        cards::perso_data::{self, may_personalize, QueueQuery},
        cards::{self as card_rules, OverrideForm},
        roles::Role,
        runs,
        submissions::{self as subs, Status, Viewer},
        AppError,
    },
    settings::Settings,
    views::layout::{flash, pager},
    workers::{mail_delivery::MailDelivery, stations::Stations},
};

const PER_PAGE: u64 = 20;
const CARDS_PER_PAGE: u64 = 50;

fn staff(auth: &Auth) -> Result<(), Failure> {
    if may_personalize(auth.user()) {
        Ok(())
    } else {
        Err(Failure::forbidden())
    }
}

fn looker(auth: &Auth) -> Result<Looker, Failure> {
    Looker::of(auth.user()).ok_or_else(Failure::forbidden)
}

async fn followed(db: &sea_orm::DatabaseConnection, looker: Looker, id: i32) -> Result<submissions::Model, Failure> {
    Ok(follow::submission(db, looker, id).await?)
}

async fn own_requests(db: &sea_orm::DatabaseConnection, looker: Looker, id: i32) -> Result<Option<Vec<i32>>, Failure> {
    Ok(follow::own_requests(db, looker, id).await?)
}

async fn progress_for(db: &sea_orm::DatabaseConnection, looker: Looker, s: &submissions::Model) -> Result<runs::Progress, Failure> {
    Ok(follow::progress(db, looker, s).await?)
}

async fn index(Db(db): Db, v: ViewEngine<TeraView>, auth: Auth, Query(q): Query<QueueQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let who = looker(&auth)?;
    let (rows, window) = match who {
        Looker::Staff => perso_data::queue_page(&db, &q, PER_PAGE).await?,
        Looker::Follower(viewer) => perso_data::followed_page(&db, viewer, &q, PER_PAGE).await?,
    };
    let offset = window.offset();
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (s, p))| {
            let st = s.status();
            json!({ "no": offset + i as u64 + 1, "s": s, "producer": p.map(|p| p.name).unwrap_or_default(), "label": st.label(), "code": st.as_str() })
        })
        .collect();
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "personalization/index.html",
        "personalisasi",
        json!({ "rows": rows, "q": q, "pager": pager(&window, &strip_page(raw.as_deref())), "staff": who == Looker::Staff }),
    )
}

#[derive(Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    page: crate::models::paging::PageNo,
    #[serde(default)]
    ok: Option<String>,
}

async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<EditQuery>) -> PageResult {
    edit_page(&ctx, &v, &auth, id, q.page, flash(q.ok.as_deref()), PageState::default(), StatusCode::OK).await
}

/// View: the submission, its requests, cards and progress, read-only.
async fn view(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, Query(q): Query<EditQuery>) -> PageResult {
    edit_page(&ctx, &v, &auth, id, q.page, serde_json::Value::Null, PageState { view_only: true, ..PageState::default() }, StatusCode::OK).await
}

/// How the page shows: what went wrong on its forms (beside them), or the
/// read-only View.
#[derive(Default)]
struct PageState {
    /// View: the same page without any form (Export Excel stays).
    view_only: bool,
    import: Vec<String>,
    /// Field messages of the run form (`station`) or of an override
    /// (`status`, `note`, with the card's id in `card`).
    fields: serde_json::Value,
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &Auth,
    id: i32,
    page: crate::models::paging::PageNo,
    flash: serde_json::Value,
    problems: PageState,
    status: StatusCode,
) -> PageResult {
    let who = looker(auth)?;
    if who != Looker::Staff && !problems.view_only {
        return Err(Failure::forbidden());
    }
    let s = followed(&ctx.db, who, id).await?;
    let own = own_requests(&ctx.db, who, id).await?;
    let producer = organisations::Entity::find_by_id(s.producer_id).one(&ctx.db).await.map_err(AppError::from)?.map(|o| o.name).unwrap_or_default();
    let mut bundle_q = requests::Entity::find().find_also_related(organisations::Entity).filter(requests::Column::SubmissionId.eq(id));
    if let Some(ids) = &own {
        bundle_q = bundle_q.filter(requests::Column::Id.is_in(ids.iter().copied()));
    }
    let bundle: Vec<_> = bundle_q
        .all(&ctx.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|(r, o)| json!({ "id": r.id, "number": r.number, "title": r.title, "date": r.request_date, "quantity": r.quantity, "institution": o.map(|o| o.name).unwrap_or_default() }))
        .collect();
    let (cards, window) = match &own {
        None => subs::cards_page(&ctx.db, Viewer::Admin, id, "", page, CARDS_PER_PAGE).await?,
        Some(ids) => perso_data::cards_page_of_requests(&ctx.db, id, ids, page, CARDS_PER_PAGE).await?,
    };
    let cards: Vec<_> = cards
        .into_iter()
        .map(|(c, n)| {
            json!({
                "id": c.id, "row": c.row_no, "serial": c.serial, "request": n, "perso": c.perso_number, "pcid": c.pcid, "manifest": c.manifest_number,
                "status": c.status, "status_label": c.status.label(), "failure": c.failure, "reader": c.reader, "note": c.override_note, "acknowledged": c.acknowledged_at.is_some(),
            })
        })
        .collect();
    let counts = match &own {
        None => perso_data::counts(&ctx.db, id).await?,
        Some(ids) => perso_data::counts_of_requests(&ctx.db, id, ids).await?,
    };
    let progress = progress_for(&ctx.db, who, &s).await?;
    // An operator chooses among the stations assigned to them.
    let stations: Vec<_> = crate::models::stations::operators::usable_by(&ctx.db, auth.user())
        .await?
        .into_iter()
        .map(|st| json!({ "id": st.id, "label": format!("{} ({}) · {} reader", st.name, st.code, st.readers) }))
        .collect();
    let simulated = matches!(Stations::get(ctx).link, crate::workers::stations::Link::Simulated);
    let st = s.status();
    app_page(
        v,
        auth,
        status,
        "personalization/edit.html",
        "personalisasi",
        json!({
            "s": s, "producer": producer, "bundle": bundle, "cards": cards, "counts": counts, "label": st.label(), "code": st.as_str(),
            "editable": !problems.view_only && matches!(st, Status::Accepted | Status::InProgress) && progress.run.as_ref().is_none_or(|r| !r.running),
            "workable": !problems.view_only && matches!(st, Status::Accepted | Status::InProgress), "view_only": problems.view_only, "pager": pager(&window, ""), "flash": flash,
            "import_errors": problems.import, "errors": problems.fields, "progress": progress, "stations": stations, "simulated": simulated,
            "is_admin": Role::parse(&auth.user().role) == Some(Role::Admin), "staff": who == Looker::Staff,
            "own_only": own.is_some(),
        }),
    )
}

async fn generate(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    staff(&auth)?;
    perso_data::generate(&db, auth.user(), id, auth.ip()).await?;
    Ok(see_other(&format!("/personalisasi/{id}?ok=perso-dibuat")))
}

async fn clear(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    staff(&auth)?;
    perso_data::clear_all(&db, auth.user(), id, auth.ip()).await?;
    Ok(see_other(&format!("/personalisasi/{id}?ok=perso-dihapus")))
}

/// Import perso data from Excel (the "Kartu" sheet of Export Excel).
async fn import(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, multipart: axum::extract::Multipart) -> PageResult {
    staff(&auth)?;
    let (_, file) = super::read_multipart(multipart, "perso").await?;
    let Some((bytes, _)) = file else {
        return edit_page(
            &ctx,
            &v,
            &auth,
            id,
            PageNo::default(),
            serde_json::Value::Null,
            PageState { import: vec!["Pilih berkas Excel data personalisasi.".into()], ..PageState::default() },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match perso_data::import(&ctx.db, auth.user(), id, bytes, &crate::models::imports::Slots::of(&ctx), auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/personalisasi/{id}?ok=perso-diimpor"))),
        Err(AppError::Invalid(errors)) => {
            let lines = errors.get("perso").unwrap_or_default().lines().map(str::to_string).collect();
            edit_page(
                &ctx,
                &v,
                &auth,
                id,
                PageNo::default(),
                serde_json::Value::Null,
                PageState { import: lines, ..PageState::default() },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Export Excel of the submission, its requests and its cards.
async fn export(Db(db): Db, auth: Auth, Path(id): Path<i32>, Query(_q): Query<Flash>) -> PageResult {
    staff(&auth)?;
    let s = submissions::Entity::find_by_id(id).one(&db).await.map_err(AppError::from)?.ok_or_else(Failure::not_found)?;
    if s.status() == Status::New || s.status() == Status::Rejected {
        return Err(Failure::not_found());
    }
    let bytes = perso_data::export(&db, &s).await?;
    Ok(super::send_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &perso_data::export_name(&s), bytes))
}

#[derive(Deserialize)]
pub struct RunForm {
    #[serde(default)]
    station: String,
    /// `1`: put the failed cards back to pending first (Ulangi Kartu Gagal).
    #[serde(default)]
    retry: String,
}

/// Mulai Proses / Ulangi Kartu Gagal: a run of the pending cards on a station.
async fn start_run(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, Path(id): Path<i32>, AxumForm(form): AxumForm<RunForm>) -> PageResult {
    staff(&auth)?;
    let stations = Stations::get(&ctx);
    let station = form.station.trim().parse().unwrap_or(0);
    match runs::start(&ctx.db, auth.user(), id, station, form.retry == "1", &stations.settings, &Settings::get(&ctx).env(auth.ip())).await {
        Ok(batch) => {
            stations.dispatch(&ctx.db, batch).await;
            Ok(see_other(&format!("/personalisasi/{id}?ok=run-dimulai")))
        }
        Err(AppError::Invalid(errors)) => {
            edit_page(
                &ctx,
                &v,
                &auth,
                id,
                PageNo::default(),
                serde_json::Value::Null,
                PageState { fields: json!(errors), ..PageState::default() },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Live progress for the page's poller (no full reload).
async fn progress(Db(db): Db, auth: Auth, Path(id): Path<i32>) -> PageResult {
    let who = looker(&auth)?;
    let s = followed(&db, who, id).await?;
    let p = progress_for(&db, who, &s).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(p)).into_response())
}

/// Status Personalisasi → Done (mails the institutions).
async fn finish(State(ctx): State<AppContext>, auth: Auth, Path(id): Path<i32>) -> PageResult {
    staff(&auth)?;
    let settings = Settings::get(&ctx);
    let (_, mails) = runs::finish(&ctx.db, auth.user(), id, &settings.env(auth.ip())).await?;
    MailDelivery::dispatch(&ctx, mails).await;
    Ok(see_other(&format!("/personalisasi/{id}?ok=perso-selesai")))
}

/// Admin override of one card, with a note.
async fn override_card(
    State(ctx): State<AppContext>,
    v: ViewEngine<TeraView>,
    auth: Auth,
    Path(card): Path<i32>,
    AxumForm(form): AxumForm<OverrideForm>,
) -> PageResult {
    staff(&auth)?;
    let c = cards::Entity::find_by_id(card).one(&ctx.db).await.map_err(AppError::from)?.ok_or_else(Failure::not_found)?;
    match card_rules::override_card(&ctx.db, auth.user(), card, &form, auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/personalisasi/{}?ok=kartu-diubah", c.submission_id))),
        Err(AppError::Invalid(errors)) => {
            let fields = json!({ "card": card, "status": errors.get("status"), "note": errors.get("note"), "note_value": form.note });
            edit_page(
                &ctx,
                &v,
                &auth,
                c.submission_id,
                PageNo::default(),
                serde_json::Value::Null,
                PageState { fields, ..PageState::default() },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/personalisasi", axum::routing::get(index))
        .add("/personalisasi/{id}", axum::routing::get(edit))
        .add("/personalisasi/{id}/lihat", axum::routing::get(view))
        .add("/personalisasi/{id}/generate", axum::routing::post(generate))
        .add("/personalisasi/{id}/clear", axum::routing::post(clear))
        .add("/personalisasi/{id}/import", axum::routing::post(import))
        .add("/personalisasi/{id}/export", axum::routing::get(export))
        .add("/personalisasi/{id}/run", axum::routing::post(start_run))
        .add("/personalisasi/{id}/progress", axum::routing::get(progress))
        .add("/personalisasi/{id}/done", axum::routing::post(finish))
        .add("/personalisasi/kartu/{card}/override", axum::routing::post(override_card))
}
