//! Rekapitulasi (Reports): the recap page and its Excel export, both from
//! one [`Recap::compute`] on the same parsed filter.
use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
};
use loco_rs::{
    app::AppContext,
    controller::views::{engines::TeraView, ViewEngine},
    prelude::Routes,
};
use serde_json::json;

use super::{app_page, send_file, session::Auth, viewer, PageResult};
use crate::{
    locale,
    models::{
        errors::FieldErrors,
        reports::{export, filter::Choice, Basis, Choices, Filter, PeriodKind, Query, Recap, Viewer},
        requests::Status as RequestStatus,
    },
    views::charts::recap as charts,
};

/// The request's query string: repeated keys keep the last value, and an
/// unreadable one counts as no filter at all.
fn query(raw: Option<&str>) -> Query {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    let mut q = Query::default();
    for (k, v) in pairs {
        let slot = match k.as_str() {
            "period" => &mut q.period,
            "month" => &mut q.month,
            "quarter" => &mut q.quarter,
            "year" => &mut q.year,
            "from" => &mut q.from,
            "to" => &mut q.to,
            "basis" => &mut q.basis,
            "producer" => &mut q.producer,
            "institution" => &mut q.institution,
            "machine" => &mut q.machine,
            "station" => &mut q.station,
            "status" => &mut q.status,
            "province" => &mut q.province,
            _ => continue,
        };
        *slot = v.chars().take(if k == "province" { 100 } else { 40 }).collect();
    }
    q
}

/// The query as the form shows it: an empty period field shows the period
/// the report uses, so the next submit keeps it.
fn shown(mut q: Query, f: &Filter) -> Query {
    use chrono::Datelike;
    let fill = |field: &mut String, value: String| {
        if field.trim().is_empty() {
            *field = value;
        }
    };
    match f.kind {
        PeriodKind::Month => fill(&mut q.month, f.from.format("%Y-%m").to_string()),
        PeriodKind::Quarter => {
            fill(&mut q.quarter, (f.from.month0() / 3 + 1).to_string());
            fill(&mut q.year, f.from.year().to_string());
        }
        PeriodKind::Year => fill(&mut q.year, f.from.year().to_string()),
        PeriodKind::Range => {}
    }
    q
}

/// A filter's choices for a `<select>`: ids as the query string spells them.
fn options(list: &[Choice]) -> Vec<serde_json::Value> {
    list.iter().map(|c| json!({ "id": c.id.to_string(), "name": c.name })).collect()
}

struct Asked {
    viewer: Viewer,
    query: Query,
    choices: Choices,
    filter: Filter,
    errors: FieldErrors,
    recap: Recap,
}

async fn recap(ctx: &AppContext, auth: &Auth, raw: Option<&str>) -> Result<Asked, super::Failure> {
    let viewer: Viewer = viewer(auth)?;
    let query = query(raw);
    let today = chrono::Utc::now().with_timezone(&locale::wib()).date_naive();
    let choices = Choices::load(&ctx.db, viewer).await?;
    let (filter, errors) = query.parse(today, &choices);
    let recap = Recap::compute(&ctx.db, viewer, &filter, today).await?;
    Ok(Asked { viewer, query, choices, filter, errors, recap })
}

async fn index(State(ctx): State<AppContext>, v: ViewEngine<TeraView>, auth: Auth, RawQuery(raw): RawQuery) -> PageResult {
    let a = recap(&ctx, &auth, raw.as_deref()).await?;
    // A wrong value falls back and says so on its field: still a report.
    app_page(
        &v,
        &auth,
        StatusCode::OK,
        "reports/index.html",
        "reports",
        json!({
            "q": shown(a.query, &a.filter),
            "errors": a.errors,
            "recap": a.recap,
            "criteria": a.filter.describe(&a.choices),
            "choices": {
                "producers": options(&a.choices.producers), "institutions": options(&a.choices.institutions),
                "machines": options(&a.choices.machines), "stations": options(&a.choices.stations), "provinces": a.choices.provinces,
            },
            "kinds": PeriodKind::ALL.map(|k| json!({ "code": k.code(), "label": k.label() })),
            "kind": a.filter.kind.code(),
            "bases": Basis::ALL.map(|b| json!({ "code": b.code(), "label": b.label() })),
            "basis": a.filter.basis.code(),
            "statuses": RequestStatus::ALL.map(|s| json!({ "code": s.as_str(), "label": s.label() })),
            "sees_all": a.viewer == Viewer::Everything,
            "export_query": raw.unwrap_or_default(),
            "chart_months": charts::card_months(&a.recap),
            "chart_stages": charts::lead_times(&a.recap),
            "chart_stations": charts::station_yield(&a.recap),
        }),
    )
}

async fn download(State(ctx): State<AppContext>, auth: Auth, RawQuery(raw): RawQuery) -> PageResult {
    let a = recap(&ctx, &auth, raw.as_deref()).await?;
    let name = export::file_name(&a.recap);
    let bytes = export::build(a.recap, a.filter.describe(&a.choices)).await?;
    Ok(send_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &name, bytes))
}

pub fn routes() -> Routes {
    Routes::new().add("/reports", axum::routing::get(index)).add("/reports/export", axum::routing::get(download))
}
