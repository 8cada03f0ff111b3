//! Following Proses Personalisasi: staff work on it; a producer (its own
//! submissions) and an institution (submissions carrying its requests, its
//! own cards only) follow it read-only. Everything here is scoped in the
//! query by who looks.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{progress as full_progress, Progress};
use crate::models::{
    _entities::{personalization_requests as requests, submissions, users},
    cards::perso_data::{self, may_personalize},
    submissions::{Status, Viewer},
    AppError, AppResult,
};

/// Who looks at Proses Personalisasi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Looker {
    Staff,
    Follower(Viewer),
}

impl Looker {
    /// `None` for a role that neither works on nor follows personalization.
    #[must_use]
    pub fn of(user: &users::Model) -> Option<Self> {
        if may_personalize(user) {
            return Some(Self::Staff);
        }
        match Viewer::of(user) {
            v @ (Viewer::Producer(_) | Viewer::Institution(_)) => Some(Self::Follower(v)),
            _ => None,
        }
    }
}

/// The submission as `looker` may see it: `NotFound` for another
/// organisation's, and for one not accepted (yet).
///
/// # Errors
/// `NotFound` outside scope; database failure.
pub async fn submission(db: &DatabaseConnection, looker: Looker, id: i32) -> AppResult<submissions::Model> {
    let s = match looker {
        Looker::Staff => submissions::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?,
        Looker::Follower(viewer) => submissions::Model::find_for(db, viewer, id).await?,
    };
    if matches!(s.status, Status::New | Status::Rejected) {
        return Err(AppError::NotFound);
    }
    Ok(s)
}

/// The requests of submission `id` an institution may follow (`None`: all).
///
/// # Errors
/// On database failure.
pub async fn own_requests(db: &DatabaseConnection, looker: Looker, id: i32) -> AppResult<Option<Vec<i32>>> {
    let Looker::Follower(Viewer::Institution(org)) = looker else { return Ok(None) };
    let ids = requests::Entity::find()
        .filter(requests::Column::SubmissionId.eq(id))
        .filter(requests::Column::OrganisationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(Some(ids))
}

/// Progress as `looker` may see it: an institution counts its own cards
/// only; followers get the run's pace and ETA but not the station's readers
/// nor its stray-card messages (other institutions' serials).
///
/// # Errors
/// On database failure.
pub async fn progress(db: &DatabaseConnection, looker: Looker, s: &submissions::Model) -> AppResult<Progress> {
    let mut p = full_progress(db, s).await?;
    if looker == Looker::Staff {
        return Ok(p);
    }
    if let Some(ids) = own_requests(db, looker, s.id).await? {
        let c = perso_data::counts_of_requests(db, s.id, &ids).await?;
        let failed_acknowledged = p.acknowledged.min(c.failed);
        p = Progress {
            total: c.total,
            pending: c.pending,
            clear: c.clear,
            failed: c.failed,
            acknowledged: failed_acknowledged,
            percent: ((c.clear + c.failed) * 100).checked_div(c.total).unwrap_or(0),
            ..p
        };
    }
    p.may_finish = false;
    if let Some(run) = p.run.as_mut() {
        run.readers.clear();
        run.strays.clear();
    }
    Ok(p)
}
