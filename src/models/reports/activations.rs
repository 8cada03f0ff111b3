//! Sistem Aktivasi in the recap. Like the rest of the recap, the period
//! selects records and the figures are what became of them:
//! - requests filed in the period (by their filing day, WIB), by their
//!   status now: approved, rejected, withdrawn, waiting for disposition;
//!   and the readers they list;
//! - readers activated in the period (by their approval day), split into
//!   those revoked since and those still active — so activated = revoked
//!   + active.
//!
//! Scope, in the SQL as everywhere in the recap: an institution sees the
//! requests for its own readers, a producer those it filed, the admin all.
//! Filters: institution; producer (the applicant); machine type (the
//! readers' type); province (the readers', compared case-insensitively).
//! Station and request status belong to the personalization chain and do
//! not apply here. Counting is `GROUP BY` in SQL; only the groups (per
//! institution, province and status) come back.
use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::{i, wib_midnight, Filter, Sql, Viewer};
use crate::models::{
    activations::{ReaderStatus, RequestStatus},
    errors::AppResult,
};

/// The figures of one table row (or of the whole selection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests filed in the period…
    pub filed: i64,
    /// …of which approved, rejected, withdrawn or still waiting now.
    pub approved: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    pub waiting: i64,
    /// Readers listed by the requests filed in the period.
    pub readers_filed: i64,
    /// Readers activated in the period…
    pub activated: i64,
    /// …of which revoked since, and still active.
    pub revoked: i64,
    pub active: i64,
}

/// A row of the tables by institution and by province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Sistem Aktivasi's part of the recap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivationRecap {
    pub totals: Counts,
    /// By institution, by name. Request figures only here: a request's
    /// readers may sit in several provinces.
    pub institutions: Vec<Line>,
    /// By the readers' province, by name.
    pub provinces: Vec<Line>,
}

/// `WHERE` of the requests `viewer` may see (`ar` is the request).
fn scope(q: &mut Sql, viewer: Viewer) {
    q.push(" WHERE ");
    match viewer {
        Viewer::Everything => q.push("1 = 1"),
        Viewer::Producer(org) => q.push("ar.applicant_id = ").bind(org),
        Viewer::Institution(org) => q.push("ar.institution_id = ").bind(org),
        Viewer::Nobody => q.push("1 = 0"),
    };
}

/// [`scope`] and the filter's organisations.
fn requests_of(q: &mut Sql, viewer: Viewer, f: &Filter) {
    scope(q, viewer);
    if let Some(id) = f.institution {
        q.push(" AND ar.institution_id = ").bind(id);
    }
    if let Some(id) = f.producer {
        q.push(" AND ar.applicant_id = ").bind(id);
    }
}

/// The readers' filters on reader `x`.
fn readers_of(q: &mut Sql, f: &Filter) {
    if let Some(id) = f.machine {
        q.push(" AND x.machine_type_id = ").bind(id);
    }
    if let Some(p) = &f.province {
        q.push(" AND UPPER(x.province) = UPPER(").bind(p.clone()).push(")");
    }
}

/// `col` (a timestamp) within the period's days (WIB).
fn in_period(q: &mut Sql, col: &str, f: &Filter) {
    q.push(&format!(" AND {col} >= ")).bind(wib_midnight(f.from));
    q.push(&format!(" AND {col} < ")).bind(wib_midnight(f.to.succ_opt().unwrap_or(f.to)));
}

/// The row of `key` in `map`, named `name` (the smallest spelling wins).
fn slot(map: &mut BTreeMap<String, Line>, key: String, name: String) -> &mut Counts {
    let line = map.entry(key).or_insert_with(|| Line { name: name.clone(), counts: Counts::default() });
    if name < line.name {
        line.name = name;
    }
    &mut line.counts
}

fn sorted(map: BTreeMap<String, Line>) -> Vec<Line> {
    let mut lines: Vec<Line> = map.into_values().collect();
    lines.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.name.cmp(&b.name)));
    lines
}

impl ActivationRecap {
    /// # Errors
    /// On database failure.
    pub async fn compute<C: ConnectionTrait>(db: &C, viewer: Viewer, f: &Filter) -> AppResult<Self> {
        let backend = db.get_database_backend();
        let mut totals = Counts::default();
        let mut institutions: BTreeMap<String, Line> = BTreeMap::new();
        let mut provinces: BTreeMap<String, Line> = BTreeMap::new();
        let narrowed = f.machine.is_some() || f.province.is_some();

        // Requests filed in the period, by institution and status now.
        let mut q = Sql::new(backend);
        q.push(
            "SELECT ar.institution_id AS org, o.name AS name, ar.status AS status, COUNT(*) AS n \
             FROM activation_requests ar JOIN organisations o ON o.id = ar.institution_id",
        );
        requests_of(&mut q, viewer, f);
        in_period(&mut q, "ar.created_at", f);
        if narrowed {
            q.push(" AND EXISTS (SELECT 1 FROM activation_readers x WHERE x.request_id = ar.id");
            readers_of(&mut q, f);
            q.push(")");
        }
        q.push(" GROUP BY ar.institution_id, o.name, ar.status");
        for row in db.query_all_raw(q.statement()).await? {
            let org: i32 = row.try_get("", "org")?;
            let status: String = row.try_get("", "status")?;
            let n = i(&row, "n")?;
            for c in [&mut totals, slot(&mut institutions, org.to_string(), row.try_get("", "name")?)] {
                c.filed += n;
                match RequestStatus::parse(&status) {
                    Some(RequestStatus::New) => c.waiting += n,
                    Some(RequestStatus::Approved) => c.approved += n,
                    Some(RequestStatus::Rejected) => c.rejected += n,
                    Some(RequestStatus::Withdrawn) => c.withdrawn += n,
                    None => {}
                }
            }
        }

        // Their readers, and the readers activated in the period: by
        // institution, province and (for the activated) status now.
        for activated in [false, true] {
            let mut q = Sql::new(backend);
            q.push(&format!(
                "SELECT ar.institution_id AS org, o.name AS name, UPPER(x.province) AS pkey, MIN(x.province) AS province, {} AS status, COUNT(*) AS n \
                 FROM activation_readers x JOIN activation_requests ar ON ar.id = x.request_id JOIN organisations o ON o.id = ar.institution_id",
                if activated { "x.status" } else { "''" }
            ));
            requests_of(&mut q, viewer, f);
            in_period(&mut q, if activated { "x.issued_at" } else { "ar.created_at" }, f);
            readers_of(&mut q, f);
            q.push(" GROUP BY ar.institution_id, o.name, UPPER(x.province)");
            if activated {
                q.push(", x.status");
            }
            for row in db.query_all_raw(q.statement()).await? {
                let org: i32 = row.try_get("", "org")?;
                let key: String = row.try_get("", "pkey")?;
                let status: String = row.try_get("", "status")?;
                let n = i(&row, "n")?;
                for c in
                    [&mut totals, slot(&mut institutions, org.to_string(), row.try_get("", "name")?), slot(&mut provinces, key, row.try_get("", "province")?)]
                {
                    if !activated {
                        c.readers_filed += n;
                        continue;
                    }
                    c.activated += n;
                    match ReaderStatus::parse(&status) {
                        Some(ReaderStatus::Revoked) => c.revoked += n,
                        Some(ReaderStatus::Active) => c.active += n,
                        _ => {}
                    }
                }
            }
        }
        Ok(Self { totals, institutions: sorted(institutions), provinces: sorted(provinces) })
    }
}

/// The provinces of the readers `viewer` may see, one spelling each, by
/// name: the province filter's choices.
///
/// # Errors
/// On database failure.
pub async fn provinces<C: ConnectionTrait>(db: &C, viewer: Viewer) -> AppResult<Vec<String>> {
    let backend = db.get_database_backend();
    let mut q = Sql::new(backend);
    q.push("SELECT MIN(x.province) AS province FROM activation_readers x JOIN activation_requests ar ON ar.id = x.request_id");
    scope(&mut q, viewer);
    q.push(" GROUP BY UPPER(x.province)");
    let mut names = Vec::new();
    for row in db.query_all_raw(q.statement()).await? {
        names.push(row.try_get::<String>("", "province")?);
    }
    names.sort_by_key(|n| n.to_lowercase());
    Ok(names)
}
