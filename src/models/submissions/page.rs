//! What the submission page shows, assembled for `viewer`: names, the
//! bundled requests (an institution sees only its own), the timeline and
//! the service-level figures.
use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{calendar, schedule, timeline, Model, Status, Viewer};
use crate::models::{
    _entities::{machine_types, organisations, personalization_requests as requests},
    audit_events::Entry,
    AppResult, Badge,
};

/// One bundled request as the page lists it.
#[derive(Debug, Serialize)]
pub struct Line {
    pub id: i32,
    pub number: String,
    pub title: String,
    pub quantity: i32,
    pub institution: String,
    pub status: Badge,
}

/// The ideal-total check of the seed FAQ (8 working days from acceptance).
#[derive(Debug, Serialize)]
pub struct Sla {
    pub on_time: bool,
    pub deadline: NaiveDate,
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub s: Model,
    pub status: Badge,
    pub percent: u8,
    pub producer: String,
    pub machine_type: String,
    pub bundle: Vec<Line>,
    pub timeline: Vec<Entry>,
    pub sla: Option<Sla>,
    pub download_name: String,
    pub can_edit: bool,
    pub can_decide: bool,
    /// An institution sees (and downloads) only its own rows of the card list.
    pub own_rows_only: bool,
    /// Proses Personalisasi can be followed from the accepted stage on.
    pub followable: bool,
}

impl Page {
    /// # Errors
    /// `NotFound` outside the viewer's scope.
    pub async fn load(db: &DatabaseConnection, viewer: Viewer, id: i32) -> AppResult<Self> {
        let s = Model::find_for(db, viewer, id).await?;
        let producer = organisations::Entity::find_by_id(s.producer_id).one(db).await?.map(|o| o.name).unwrap_or_default();
        let machine_type = machine_types::Entity::find_by_id(s.machine_type_id).one(db).await?.map(|m| m.name).unwrap_or_default();
        let mut bundle = requests::Entity::find().find_also_related(organisations::Entity).filter(requests::Column::SubmissionId.eq(id));
        if let Viewer::Institution(org) = viewer {
            bundle = bundle.filter(requests::Column::OrganisationId.eq(org));
        }
        let bundle = bundle
            .order_by_asc(requests::Column::Number)
            .all(db)
            .await?
            .into_iter()
            .map(|(r, o)| Line {
                id: r.id,
                number: r.number,
                title: r.title,
                quantity: r.quantity,
                institution: o.map(|o| o.name).unwrap_or_default(),
                status: r.status.badge(),
            })
            .collect();
        let timeline = timeline(db, viewer, id).await?.iter().map(crate::models::audit_events::Model::entry).collect();
        let sla = match s.accepted_at {
            Some(t) => {
                let calendar = calendar(db).await?;
                let accepted = t.with_timezone(&crate::locale::wib()).date_naive();
                let today = Utc::now().with_timezone(&crate::locale::wib()).date_naive();
                let finished = s.received_at.map(|t| t.with_timezone(&crate::locale::wib()).date_naive());
                Some(Sla {
                    on_time: schedule::sla_on_time(accepted, finished, today, &calendar),
                    deadline: calendar.nth_working_day(accepted, schedule::IDEAL_TOTAL_DAYS),
                })
            }
            None => None,
        };
        let is_new = s.status == Status::New;
        Ok(Self {
            status: s.status.badge(),
            percent: s.status.percent(),
            producer,
            machine_type,
            bundle,
            timeline,
            sla,
            download_name: s.download_name(),
            can_edit: is_new && matches!(viewer, Viewer::Producer(_)),
            can_decide: is_new && viewer == Viewer::Admin,
            own_rows_only: matches!(viewer, Viewer::Institution(_)),
            followable: matches!(s.status, Status::Accepted | Status::InProgress | Status::Done | Status::Received),
            s,
        })
    }
}
