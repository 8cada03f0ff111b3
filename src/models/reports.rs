//! Rekapitulasi (Reports): one recap of the personalization chain for a
//! period, computed by [`Recap::compute`] for the page, its Excel export and
//! the dashboard alike.
//!
//! The unit is the request line (a request of an institution to a
//! producer): the period and every filter select lines, and the figures are
//! those lines, their cards (a card belongs to exactly one line) and the
//! submissions that bundle them. So an institution inside a submission that
//! bundles several institutions counts only its own lines and cards.
//!
//! Counting happens in SQL (`GROUP BY` with `SUM(CASE …)`); only the
//! per-submission stage dates come back as rows (one per submission, at most
//! some tens of thousands), because working days need the holiday calendar
//! the scheduler uses ([`Calendar::working_days_between`]).
pub mod activations;
pub mod export;
pub mod filter;

use std::collections::BTreeMap;

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use sea_orm::{prelude::DateTimeWithTimeZone, ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use serde::Serialize;

pub use filter::{Basis, Choices, Filter, PeriodKind, Query};

use super::{
    _entities::users,
    cards::Status as CardStatus,
    errors::AppResult,
    requests::Status as RequestStatus,
    roles::Role,
    submissions::{
        queue::calendar,
        schedule::{Calendar, DEFAULT_CARDS_PER_STATION, DEFAULT_DISPOSITION_DAYS, HANDOVER_DAYS, IDEAL_TOTAL_DAYS, SCHEDULING_DAYS},
        Status as SubmissionStatus,
    },
};
use crate::locale;

/// Whose figures a user sees: decided from the account, applied inside
/// every query (never by filtering results afterwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Admin and operators: every line.
    Everything,
    /// A producer: the lines addressed to it.
    Producer(i32),
    /// An institution (lembaga, dukcapil kota): its own lines.
    Institution(i32),
    Nobody,
}

impl super::Scope for Viewer {
    fn of(user: &users::Model) -> Self {
        match (Role::parse(&user.role), user.organisation_id) {
            (Some(Role::Admin | Role::Operator), _) => Self::Everything,
            (Some(Role::Produsen), Some(org)) => Self::Producer(org),
            (Some(Role::Lembaga | Role::DukcapilKota), Some(org)) => Self::Institution(org),
            _ => Self::Nobody,
        }
    }

    fn sees_nothing(self) -> bool {
        self == Self::Nobody
    }
}

/// A status with how many are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
    /// Cards asked for by the selected lines (of a submission: only its
    /// selected lines, so a shared submission shows an institution its part).
    pub cards: i64,
}

/// The cards of the lines, stage by stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CardFlow {
    /// Asked for by lines the producer approved (approved and later).
    pub requested: i64,
    /// Asked for by lines already in a submission (bundled and later).
    pub requested_submitted: i64,
    /// In the submissions' card lists.
    pub listed: i64,
    pub pending: i64,
    pub clear: i64,
    pub failed: i64,
    /// Clear cards of lines whose receipt was recorded.
    pub clear_of_received: i64,
    /// Jumlah Diterima recorded by the producer.
    pub received: i64,
}

/// One reconciliation step: two figures that should agree, and by how much
/// they differ (`flagged` when they do not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub label: &'static str,
    pub expected: i64,
    pub actual: i64,
    pub difference: i64,
    pub flagged: bool,
}

/// A request line whose figures do not reconcile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct Mismatch {
    pub request_id: i32,
    pub number: String,
    pub institution: String,
    pub status: RequestStatus,
    pub requested: i64,
    pub listed: i64,
    pub clear: i64,
    pub failed: i64,
    pub received: Option<i64>,
}

/// Cards of one month, by card status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthCards {
    /// `YYYY-MM`.
    pub month: String,
    /// "Nov 2026".
    pub label: String,
    pub pending: i64,
    pub clear: i64,
    pub failed: i64,
}

/// Lead time of one stage in working days over the submissions that went
/// through it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTime {
    pub label: &'static str,
    /// The FAQ's ideal for the stage, in working days.
    pub ideal: u32,
    pub count: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Submissions slower than the ideal.
    pub over_ideal: usize,
}

/// Cards personalized on one station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationYield {
    pub station_id: i32,
    pub name: String,
    pub clear: i64,
    pub failed: i64,
    pub attempted: i64,
    /// `failed / attempted` in percent; `None` before any attempt.
    pub failed_pct: Option<f64>,
    /// Working days (WIB) on which the station produced a result.
    pub days: i64,
    /// `attempted / days`, against [`DEFAULT_CARDS_PER_STATION`].
    pub per_day: Option<f64>,
}

/// A submission finished (or still unfinished) after its estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Late {
    pub submission_id: i32,
    pub number: String,
    pub producer: String,
    pub estimated_finish: NaiveDate,
    /// `None`: not finished yet (late as of today).
    pub finished: Option<NaiveDate>,
    /// Working days after the estimate.
    pub days_late: i64,
}

/// Everything Reports shows for one filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recap {
    pub filter: Filter,
    pub period: String,
    pub requests: Vec<StatusCount>,
    pub submissions: Vec<StatusCount>,
    pub cards: CardFlow,
    pub checks: Vec<Check>,
    /// The first [`MISMATCH_ROWS`] lines that do not reconcile.
    pub mismatches: Vec<Mismatch>,
    pub months: Vec<MonthCards>,
    pub stages: Vec<StageTime>,
    pub stations: Vec<StationYield>,
    /// Submissions with an estimate that are finished or due by today.
    pub with_estimate: usize,
    /// The late ones, latest first (all of them).
    pub late: Vec<Late>,
    pub ideal_total_days: u32,
    pub cards_per_station_day: u32,
    /// Sistem Aktivasi: requests by filing day, readers by approval day.
    pub activations: activations::ActivationRecap,
}

/// Lines listed as not reconciling, at most.
pub const MISMATCH_ROWS: u64 = 200;

/// A statement under construction: text and its bound values in order.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        if self.backend == DbBackend::Postgres {
            let n = self.values.len();
            self.text.push_str(&format!("${n}"));
        } else {
            self.text.push('?');
        }
        self
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }

    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// `YYYY-MM` of a `DATE` column.
    fn month_of_date(&self, col: &str) -> String {
        if self.pg() {
            format!("to_char({col}, 'YYYY-MM')")
        } else {
            format!("substr({col}, 1, 7)")
        }
    }

    /// `YYYY-MM` (WIB) of a timestamp column.
    fn month_of_time(&self, col: &str) -> String {
        if self.pg() {
            format!("to_char({col} AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM')")
        } else {
            format!("strftime('%Y-%m', {col}, '+7 hours')")
        }
    }

    /// The day (WIB) of a timestamp column, comparable within one backend.
    fn day_of_time(&self, col: &str) -> String {
        if self.pg() {
            format!("CAST({col} AT TIME ZONE 'Asia/Jakarta' AS DATE)")
        } else {
            format!("date({col}, '+7 hours')")
        }
    }
}

/// The column of the basis date, and whether it is a timestamp.
const fn basis_column(b: Basis) -> (&'static str, bool) {
    match b {
        Basis::Requested => ("r.request_date", false),
        Basis::Submitted => ("s.created_on", false),
        Basis::Accepted => ("s.accepted_at", true),
        Basis::Personalized => ("s.perso_finished_at", true),
        Basis::HandedOver => ("s.received_at", true),
    }
}

/// The first instant (UTC) of a WIB day.
fn wib_midnight(d: NaiveDate) -> DateTimeWithTimeZone {
    let utc = FixedOffset::east_opt(0).expect("utc");
    locale::wib()
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .single()
        .map_or_else(|| utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)), |t| t.with_timezone(&utc))
}

/// `FROM` and `WHERE` of the selected lines (`r`, with its submission `s`).
fn lines(q: &mut Sql, viewer: Viewer, f: &Filter) {
    q.push(" FROM personalization_requests r LEFT JOIN submissions s ON s.id = r.submission_id WHERE ");
    match viewer {
        Viewer::Everything => q.push("1 = 1"),
        Viewer::Producer(org) => q.push("r.producer_id = ").bind(org),
        Viewer::Institution(org) => q.push("r.organisation_id = ").bind(org),
        Viewer::Nobody => q.push("1 = 0"),
    };
    let (col, timestamp) = basis_column(f.basis);
    if timestamp {
        q.push(&format!(" AND {col} >= ")).bind(wib_midnight(f.from));
        q.push(&format!(" AND {col} < ")).bind(wib_midnight(f.to.succ_opt().unwrap_or(f.to)));
    } else {
        q.push(&format!(" AND {col} >= ")).bind(f.from);
        q.push(&format!(" AND {col} <= ")).bind(f.to);
    }
    if let Some(id) = f.producer {
        q.push(" AND r.producer_id = ").bind(id);
    }
    if let Some(id) = f.institution {
        q.push(" AND r.organisation_id = ").bind(id);
    }
    if let Some(id) = f.machine {
        q.push(" AND r.machine_type_id = ").bind(id);
    }
    if let Some(st) = f.status {
        q.push(" AND r.status = ").bind(st.as_str());
    }
    if let Some(id) = f.station {
        q.push(" AND r.submission_id IN (SELECT pr0.submission_id FROM perso_runs pr0 WHERE pr0.station_id = ").bind(id).push(")");
    }
}

/// The cards of the lines; with a station filter only those whose last run
/// was on that station.
fn card_join(q: &mut Sql, f: &Filter) {
    if let Some(id) = f.station {
        q.push(" AND EXISTS (SELECT 1 FROM perso_runs prs WHERE prs.id = c.run_id AND prs.station_id = ").bind(id).push(")");
    }
}

fn i(row: &sea_orm::QueryResult, col: &str) -> AppResult<i64> {
    Ok(row.try_get::<Option<i64>>("", col)?.unwrap_or(0))
}

#[derive(Debug, FromQueryResult)]
struct SubmissionDates {
    id: i32,
    number: String,
    producer: String,
    created_on: NaiveDate,
    accepted_at: Option<DateTimeWithTimeZone>,
    perso_started_at: Option<DateTimeWithTimeZone>,
    perso_finished_at: Option<DateTimeWithTimeZone>,
    received_at: Option<DateTimeWithTimeZone>,
    estimated_finish: Option<NaiveDate>,
}

fn wib_day(t: DateTimeWithTimeZone) -> NaiveDate {
    t.with_timezone(&locale::wib()).date_naive()
}

/// Mean and median of `values`.
fn mean_median(values: &mut [i64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    values.sort_unstable();
    let n = values.len();
    let mean = values.iter().sum::<i64>() as f64 / n as f64;
    let median = if n % 2 == 1 { values[n / 2] as f64 } else { (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0 };
    (Some(mean), Some(median))
}

/// The lead-time stages, in working days (weekends and the holidays of
/// master data excluded, the scheduler's calendar):
/// - Disposisi: Tgl Pengajuan → accepted by Dukcapil;
/// - Menunggu jadwal: accepted → first personalization run;
/// - Personalisasi: first run → Done, both days counted (a submission
///   personalized within one day took one working day);
/// - Serah terima: Done → receipt recorded (BAST);
/// - Total: Tgl Pengajuan → receipt, both days counted (the FAQ's 8 days).
///
/// A stage counts only the submissions that finished it.
fn stages(rows: &[SubmissionDates], cal: &Calendar) -> Vec<StageTime> {
    let between = |a: NaiveDate, b: NaiveDate| cal.working_days_between(a, b).max(0);
    let inclusive = |a: NaiveDate, b: NaiveDate| a.pred_opt().map_or(0, |before| between(before, b));
    type Span<'a> = (&'static str, u32, Box<dyn Fn(&SubmissionDates) -> Option<i64> + 'a>);
    let spans: [Span; 5] = [
        ("Disposisi", DEFAULT_DISPOSITION_DAYS, Box::new(|s: &SubmissionDates| Some(between(s.created_on, wib_day(s.accepted_at?))))),
        ("Menunggu jadwal", SCHEDULING_DAYS, Box::new(|s: &SubmissionDates| Some(between(wib_day(s.accepted_at?), wib_day(s.perso_started_at?))))),
        ("Personalisasi", 1, Box::new(|s: &SubmissionDates| Some(inclusive(wib_day(s.perso_started_at?), wib_day(s.perso_finished_at?))))),
        ("Serah terima (BAST)", HANDOVER_DAYS, Box::new(|s: &SubmissionDates| Some(between(wib_day(s.perso_finished_at?), wib_day(s.received_at?))))),
        ("Total proses", IDEAL_TOTAL_DAYS, Box::new(|s: &SubmissionDates| Some(inclusive(s.created_on, wib_day(s.received_at?))))),
    ];
    spans
        .iter()
        .map(|(label, ideal, span)| {
            let mut days: Vec<i64> = rows.iter().filter_map(span).collect();
            let over_ideal = days.iter().filter(|d| **d > i64::from(*ideal)).count();
            let (mean, median) = mean_median(&mut days);
            StageTime { label, ideal: *ideal, count: days.len(), mean, median, over_ideal }
        })
        .collect()
}

impl Recap {
    /// The recap of the lines `viewer` may see that match `f`; `today`
    /// (WIB) decides which unfinished submissions are already late.
    ///
    /// # Errors
    /// On database failure.
    pub async fn compute<C: ConnectionTrait>(db: &C, viewer: Viewer, f: &Filter, today: NaiveDate) -> AppResult<Self> {
        let backend = db.get_database_backend();

        // Requests by status, with the cards asked and received.
        let mut q = Sql::new(backend);
        q.push("SELECT r.status AS status, COUNT(*) AS n, SUM(r.quantity) AS qty, SUM(r.received_count) AS received");
        lines(&mut q, viewer, f);
        q.push(" GROUP BY r.status");
        let mut by_request: BTreeMap<RequestStatus, (i64, i64, i64)> = BTreeMap::new();
        for row in db.query_all_raw(q.statement()).await? {
            let status: RequestStatus = row.try_get("", "status")?;
            by_request.insert(status, (i(&row, "n")?, i(&row, "qty")?, i(&row, "received")?));
        }
        let requests = RequestStatus::ALL
            .into_iter()
            .map(|s| {
                let (count, cards, _) = by_request.get(&s).copied().unwrap_or_default();
                StatusCount { code: s.as_str(), label: s.label(), count, cards }
            })
            .collect();
        let approved_on = |s: &RequestStatus| !matches!(s, RequestStatus::Submitted | RequestStatus::Rejected | RequestStatus::Withdrawn);
        let submitted_on = |s: &RequestStatus| approved_on(s) && *s != RequestStatus::Approved;
        let mut cards = CardFlow {
            requested: by_request.iter().filter(|(s, _)| approved_on(s)).map(|(_, v)| v.1).sum(),
            requested_submitted: by_request.iter().filter(|(s, _)| submitted_on(s)).map(|(_, v)| v.1).sum(),
            received: by_request.values().map(|v| v.2).sum(),
            ..CardFlow::default()
        };

        // Cards by month of the basis date, line status and card status.
        let (col, timestamp) = basis_column(f.basis);
        let mut q = Sql::new(backend);
        let month = if timestamp { q.month_of_time(col) } else { q.month_of_date(col) };
        q.push(&format!("SELECT {month} AS m, r.status AS rs, c.status AS cs, COUNT(*) AS n"));
        lines(&mut q, viewer, f);
        q.push(" AND c.request_id = r.id");
        card_join(&mut q, f);
        // `cards c` joins by `request_id` (the recap index); written into
        // `FROM` here so that the lines stay the driving table.
        q.text = q.text.replacen(" LEFT JOIN submissions s", " CROSS JOIN cards c LEFT JOIN submissions s", 1);
        // CROSS JOIN keeps SQLite's join order (lines first, then cards).
        q.push(" GROUP BY m, r.status, c.status");
        let mut months: BTreeMap<String, MonthCards> = f.months().into_iter().map(|m| (m.clone(), MonthCards { month: m, ..MonthCards::default() })).collect();
        for row in db.query_all_raw(q.statement()).await? {
            let m: Option<String> = row.try_get("", "m")?;
            let rs: RequestStatus = row.try_get("", "rs")?;
            let cs: CardStatus = row.try_get("", "cs")?;
            let n = i(&row, "n")?;
            let slot = months.entry(m.clone().unwrap_or_default()).or_insert_with(|| MonthCards { month: m.unwrap_or_default(), ..MonthCards::default() });
            cards.listed += n;
            match cs {
                CardStatus::Pending => (cards.pending, slot.pending) = (cards.pending + n, slot.pending + n),
                CardStatus::Clear => (cards.clear, slot.clear) = (cards.clear + n, slot.clear + n),
                CardStatus::Failed => (cards.failed, slot.failed) = (cards.failed + n, slot.failed + n),
            }
            if cs == CardStatus::Clear && rs == RequestStatus::Received {
                cards.clear_of_received += n;
            }
        }
        let months: Vec<MonthCards> = months
            .into_values()
            .map(|mut m| {
                m.label = filter::parse_month(&m.month)
                    .map_or_else(|| m.month.clone(), |d| format!("{} {}", locale::month_abbr(chrono::Datelike::month(&d)), chrono::Datelike::year(&d)));
                m
            })
            .collect();

        let check = |label, expected: i64, actual: i64| Check { label, expected, actual, difference: actual - expected, flagged: actual != expected };
        let checks = vec![
            check("Kartu diminta (sudah diajukan) → kartu dalam daftar", cards.requested_submitted, cards.listed),
            check("Kartu dalam daftar → kartu diproses (Clear + Failed)", cards.listed, cards.clear + cards.failed),
            check("Kartu Clear (baris sudah diterima) → kartu diterima", cards.clear_of_received, cards.received),
        ];

        // Lines that do not reconcile.
        let mut q = Sql::new(backend);
        q.push(
            "SELECT r.id AS request_id, r.number AS number, o.name AS institution, r.status AS status, CAST(r.quantity AS BIGINT) AS requested, \
             COUNT(c.id) AS listed, SUM(CASE WHEN c.status = 'clear' THEN 1 ELSE 0 END) AS clear, \
             SUM(CASE WHEN c.status = 'failed' THEN 1 ELSE 0 END) AS failed, CAST(r.received_count AS BIGINT) AS received",
        );
        lines(&mut q, viewer, f);
        q.text = q.text.replacen(
            " LEFT JOIN submissions s",
            " JOIN organisations o ON o.id = r.organisation_id LEFT JOIN cards c ON c.request_id = r.id LEFT JOIN submissions s",
            1,
        );
        q.push(" AND r.status IN ('bundled', 'in_progress', 'done', 'received')");
        q.push(" GROUP BY r.id, r.number, o.name, r.status, r.quantity, r.received_count, r.request_date");
        q.push(
            " HAVING COUNT(c.id) <> r.quantity \
             OR (r.status IN ('done', 'received') AND SUM(CASE WHEN c.status = 'clear' THEN 1 ELSE 0 END) <> COUNT(c.id)) \
             OR (r.status = 'received' AND COALESCE(r.received_count, 0) <> SUM(CASE WHEN c.status = 'clear' THEN 1 ELSE 0 END))",
        );
        q.push(&format!(" ORDER BY r.request_date, r.id LIMIT {MISMATCH_ROWS}"));
        let mismatches = Mismatch::find_by_statement(q.statement()).all(db).await?;

        // Stations: results of the lines' cards by the station of their run.
        let mut q = Sql::new(backend);
        let day = q.day_of_time("c.result_at");
        q.push(&format!(
            "SELECT st.id AS id, st.code AS code, st.name AS name, \
             SUM(CASE WHEN c.status = 'clear' THEN 1 ELSE 0 END) AS clear, \
             SUM(CASE WHEN c.status = 'failed' THEN 1 ELSE 0 END) AS failed, \
             COUNT(DISTINCT {day}) AS days"
        ));
        lines(&mut q, viewer, f);
        q.text = q.text.replacen(
            " LEFT JOIN submissions s",
            " CROSS JOIN cards c JOIN perso_runs pr ON pr.id = c.run_id JOIN stations st ON st.id = pr.station_id LEFT JOIN submissions s",
            1,
        );
        q.push(" AND c.request_id = r.id AND c.status IN ('clear', 'failed')");
        if let Some(id) = f.station {
            q.push(" AND pr.station_id = ").bind(id);
        }
        q.push(" GROUP BY st.id, st.code, st.name ORDER BY st.code");
        let mut stations = Vec::new();
        for row in db.query_all_raw(q.statement()).await? {
            let (clear, failed, days) = (i(&row, "clear")?, i(&row, "failed")?, i(&row, "days")?);
            let attempted = clear + failed;
            let code: String = row.try_get("", "code")?;
            let name: String = row.try_get("", "name")?;
            stations.push(StationYield {
                station_id: row.try_get("", "id")?,
                name: format!("{code} – {name}"),
                clear,
                failed,
                attempted,
                failed_pct: (attempted > 0).then(|| failed as f64 * 100.0 / attempted as f64),
                days,
                per_day: (days > 0).then(|| attempted as f64 / days as f64),
            });
        }

        // Submissions of the lines: statuses, stage dates, estimates.
        let mut q = Sql::new(backend);
        q.push(
            "SELECT s2.id AS id, s2.number AS number, p.name AS producer, s2.created_on AS created_on, \
             s2.accepted_at AS accepted_at, s2.perso_started_at AS perso_started_at, s2.perso_finished_at AS perso_finished_at, \
             s2.received_at AS received_at, s2.estimated_finish AS estimated_finish \
             FROM submissions s2 JOIN organisations p ON p.id = s2.producer_id WHERE s2.id IN (SELECT r.submission_id",
        );
        lines(&mut q, viewer, f);
        q.push(" AND r.submission_id IS NOT NULL)");
        let rows = SubmissionDates::find_by_statement(q.statement()).all(db).await?;
        // By status: the submissions carrying a selected line, and the cards
        // those lines asked for (never a shared submission's whole count).
        let mut q = Sql::new(backend);
        q.push("SELECT s.status AS status, COUNT(DISTINCT s.id) AS n, SUM(r.quantity) AS qty");
        lines(&mut q, viewer, f);
        q.push(" AND s.id IS NOT NULL GROUP BY s.status");
        let mut by_submission: BTreeMap<SubmissionStatus, (i64, i64)> = BTreeMap::new();
        for row in db.query_all_raw(q.statement()).await? {
            by_submission.insert(row.try_get("", "status")?, (i(&row, "n")?, i(&row, "qty")?));
        }
        let submissions = SubmissionStatus::ALL
            .into_iter()
            .map(|st| {
                let (count, cards) = by_submission.get(&st).copied().unwrap_or_default();
                StatusCount { code: st.as_str(), label: st.label(), count, cards }
            })
            .collect();
        let cal = calendar(db).await?;
        let stages = stages(&rows, &cal);
        let mut with_estimate = 0;
        let mut late = Vec::new();
        for s in &rows {
            let Some(estimate) = s.estimated_finish else { continue };
            let finished = s.perso_finished_at.map(wib_day);
            let as_of = finished.unwrap_or(today);
            if finished.is_none() && as_of <= estimate {
                continue; // still on time
            }
            with_estimate += 1;
            let days_late = cal.working_days_between(estimate, as_of);
            if days_late > 0 {
                late.push(Late {
                    submission_id: s.id,
                    number: s.number.clone(),
                    producer: s.producer.clone(),
                    estimated_finish: estimate,
                    finished,
                    days_late,
                });
            }
        }
        late.sort_by(|a, b| b.days_late.cmp(&a.days_late).then_with(|| a.number.cmp(&b.number)));
        let activations = activations::ActivationRecap::compute(db, viewer, f).await?;

        Ok(Self {
            period: f.period_label(),
            filter: f.clone(),
            requests,
            submissions,
            cards,
            checks,
            mismatches,
            months,
            stages,
            stations,
            with_estimate,
            late,
            ideal_total_days: IDEAL_TOTAL_DAYS,
            cards_per_station_day: DEFAULT_CARDS_PER_STATION,
            activations,
        })
    }
}
