//! Admin: account management — list and search, activate/deactivate, reset
//! password, assign role and organisation.
use axum::{
    extract::{Path, Query, RawQuery, State},
    http::StatusCode,
    Form,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

use super::Db;
use super::{app_page, see_other, session::Admin, strip_page, PageResult};
use crate::{
    models::{
        organisations::Model as Organisation,
        roles::Role,
        stations::{self, operators},
        users::{self, ActiveModel, Assignment, Status, UserQuery},
        AppError,
    },
    settings::Settings,
    views::layout::{flash, pager},
    workers::mail_delivery::MailDelivery,
};

const PER_PAGE: u64 = 20;

async fn index(Db(db): Db, v: ViewEngine<TeraView>, Admin(auth): Admin, Query(q): Query<UserQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let (rows, window) = q.page(&db, PER_PAGE).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(u, o)| {
            json!({
                "id": u.id, "username": u.username, "name": u.name, "email": u.email,
                "role": u.role().label(), "organisation": o.map(|o| o.name).unwrap_or_default(),
                "status": u.status, "status_label": u.status.label(),
            })
        })
        .collect();
    let base = strip_page(raw.as_deref());
    app_page(&v, &auth, StatusCode::OK, "admin_users/index.html", "pengguna", json!({ "rows": rows, "q": q, "pager": pager(&window, &base) }))
}

async fn find(ctx: &AppContext, id: i32) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(id).one(&ctx.db).await?.ok_or(AppError::NotFound)
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    ctx: &AppContext,
    v: &ViewEngine<TeraView>,
    auth: &super::session::Auth,
    user: &users::Model,
    form: &Assignment,
    errors: serde_json::Value,
    status: StatusCode,
    extra: serde_json::Value,
) -> PageResult {
    let organisations: Vec<_> = Organisation::all_ordered(&ctx.db)
        .await?
        .into_iter()
        .map(|o| json!({ "id": o.id.to_string(), "name": o.name, "kind": o.kind().label(), "active": o.active }))
        .collect();
    let roles: Vec<_> = Role::ALL.iter().map(|r| json!({ "value": r.as_str(), "label": r.label() })).collect();
    // Stations are assigned to operators only (DESIGN §1).
    let stations = if user.role() == Role::Operator {
        let assigned = operators::station_ids(&ctx.db, user.id).await?;
        stations::Entity::find()
            .order_by_asc(stations::Column::Code)
            .all(&ctx.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|st| json!({ "id": st.id, "code": st.code, "name": st.name, "active": st.active, "assigned": assigned.contains(&st.id) }))
            .collect()
    } else {
        Vec::new()
    };
    let mut data = json!({
        "user": { "id": user.id, "username": user.username, "name": user.name, "email": user.email, "phone": user.phone.clone().unwrap_or_default(),
                  "status": user.status, "status_label": user.status.label(), "created_at": user.created_at.to_rfc3339(),
                  "last_login_at": user.last_login_at.map(|t| t.to_rfc3339()).unwrap_or_default() },
        "form": form, "errors": errors, "roles": roles, "organisations": organisations, "new_password": null,
        "is_operator": user.role() == Role::Operator, "stations": stations,
    });
    if let (Some(d), serde_json::Value::Object(e)) = (data.as_object_mut(), extra) {
        d.extend(e);
    }
    app_page(v, auth, status, "admin_users/edit.html", "pengguna", data)
}

async fn edit(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<i32>, Query(q): Query<super::Flash>) -> PageResult {
    let user = find(&ctx, id).await?;
    let form = Assignment { role: user.role.clone(), organisation_id: user.organisation_id.map(|i| i.to_string()).unwrap_or_default() };
    edit_page(&ctx, &v, &auth, &user, &form, json!({}), StatusCode::OK, json!({ "flash": flash(q.ok()) })).await
}

async fn assign(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<i32>, Form(form): Form<Assignment>) -> PageResult {
    let user = find(&ctx, id).await?;
    match ActiveModel::assign(&ctx.db, auth.user(), user.clone(), &form, auth.ip()).await {
        Ok(_) => Ok(see_other(&format!("/admin/pengguna/{id}?ok=akun"))),
        Err(AppError::Invalid(errors)) => edit_page(&ctx, &v, &auth, &user, &form, json!(errors), StatusCode::UNPROCESSABLE_ENTITY, json!({})).await,
        Err(e) => Err(e.into()),
    }
}

/// The operator's stations: exactly the checked ones (`station` repeats).
async fn assign_stations(
    State(ctx): State<AppContext>,
    v: ViewEngine<TeraView>,
    Admin(auth): Admin,
    Path(id): Path<i32>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let user = find(&ctx, id).await?;
    let wanted: Vec<i32> = fields.iter().filter(|(k, _)| k == "station").filter_map(|(_, v)| v.trim().parse().ok()).collect();
    match operators::assign(&ctx.db, auth.user(), &user, &wanted, auth.ip()).await {
        Ok(()) => Ok(see_other(&format!("/admin/pengguna/{id}?ok=stasiun"))),
        Err(AppError::Invalid(errors)) => {
            let form = Assignment { role: user.role.clone(), organisation_id: user.organisation_id.map(|i| i.to_string()).unwrap_or_default() };
            edit_page(&ctx, &v, &auth, &user, &form, json!(errors), StatusCode::UNPROCESSABLE_ENTITY, json!({})).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn activate(State(ctx): State<AppContext>, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    let user = find(&ctx, id).await?;
    let (_, mails) = ActiveModel::set_status(&ctx.db, auth.user(), user, Status::Active, &Settings::get(&ctx).public_url, auth.ip()).await?;
    MailDelivery::dispatch(&ctx, mails).await;
    Ok(see_other(&format!("/admin/pengguna/{id}?ok=akun")))
}

async fn deactivate(State(ctx): State<AppContext>, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    let user = find(&ctx, id).await?;
    ActiveModel::set_status(&ctx.db, auth.user(), user, Status::Inactive, &Settings::get(&ctx).public_url, auth.ip()).await?;
    Ok(see_other(&format!("/admin/pengguna/{id}?ok=akun")))
}

/// Shows the generated password once, on this response only.
async fn reset_password(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, Admin(auth): Admin, Path(id): Path<i32>) -> PageResult {
    let user = find(&ctx, id).await?;
    let password = ActiveModel::reset_password(&ctx.db, auth.user(), user.clone(), auth.ip()).await?;
    let form = Assignment { role: user.role.clone(), organisation_id: user.organisation_id.map(|i| i.to_string()).unwrap_or_default() };
    edit_page(&ctx, &v, &auth, &user, &form, json!({}), StatusCode::OK, json!({ "new_password": password })).await
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/admin/pengguna", axum::routing::get(index))
        .add("/admin/pengguna/{id}", axum::routing::get(edit).post(assign))
        .add("/admin/pengguna/{id}/aktifkan", axum::routing::post(activate))
        .add("/admin/pengguna/{id}/stasiun", axum::routing::post(assign_stations))
        .add("/admin/pengguna/{id}/nonaktifkan", axum::routing::post(deactivate))
        .add("/admin/pengguna/{id}/reset-password", axum::routing::post(reset_password))
}
