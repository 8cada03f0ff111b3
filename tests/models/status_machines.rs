//! Every status machine, every (from, to) pair: the table of legal moves
//! (DESIGN §1, plus `withdrawn` and the producer's freeing of a request, see
//! the models), and the one transition function of each machine against a
//! real database — a legal move changes the row and writes its audit row, an
//! illegal one is a conflict (409 at the HTTP boundary) and changes nothing.
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use sifilma::models::{
    _entities::{audit_events, cards as card_rows, submissions as submission_rows},
    audit_events::{Action, Actor},
    cards::{self, Cause, Which},
    documents::DocStatus,
    mail_outbox::Status as M,
    requests::{self, Status as R},
    runs::Status as Run,
    submissions::{self, Status as S},
    users::Status as U,
    AppError,
};

use crate::support::{
    scenario::{seed_request, world, World, ENV},
    with_app,
};

#[test]
fn activation_request_moves() {
    use sifilma::models::activations::RequestStatus as A;
    let legal = [(A::New, A::Withdrawn), (A::New, A::Approved), (A::New, A::Rejected)];
    for from in A::ALL {
        for to in A::ALL {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} -> {to:?}");
        }
        assert_eq!(A::parse(from.as_str()), Some(from));
        assert!(!from.label().contains('_'), "a page shows words, not codes");
    }
}

#[test]
fn activated_reader_moves() {
    use sifilma::models::activations::ReaderStatus as Rd;
    let legal = [(Rd::Pending, Rd::Active), (Rd::Pending, Rd::Void), (Rd::Active, Rd::Revoked)];
    for from in Rd::ALL {
        for to in Rd::ALL {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} -> {to:?}");
        }
        assert_eq!(Rd::parse(from.as_str()), Some(from));
    }
    assert_eq!(Rd::ALL.into_iter().filter(|s| s.binds()).collect::<Vec<_>>(), vec![Rd::Pending, Rd::Active], "a revoked or void line frees its SAM");
}

#[test]
fn request_moves() {
    use R::{Approved, Bundled, Done, InProgress, Received, Rejected, Submitted, Withdrawn};
    let legal = [
        (Submitted, Approved),
        (Submitted, Rejected),
        (Submitted, Withdrawn),
        (Approved, Bundled),
        (Bundled, Approved),
        (Bundled, InProgress),
        (InProgress, Done),
        (Done, Received),
    ];
    for from in R::ALL {
        for to in R::ALL {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} → {to:?}");
        }
    }
    assert_eq!([Submitted, Approved, Bundled, InProgress, Done, Received].map(R::percent), [0, 20, 40, 60, 80, 100]);
    assert_eq!([Bundled, InProgress, Done, Received].map(R::label), ["Dalam Pengajuan", "Dalam Proses", "Selesai", "Diterima"]);
}

#[test]
fn submission_moves_and_percent() {
    use S::{Accepted, Done, InProgress, New, Received, Rejected};
    let legal = [(New, Accepted), (New, Rejected), (Accepted, InProgress), (InProgress, Done), (Done, Received)];
    for from in S::ALL {
        for to in S::ALL {
            assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} → {to:?}");
        }
    }
    assert_eq!([New, Accepted, InProgress, Done, Received].map(S::percent), [0, 25, 50, 75, 100]);
}

#[test]
fn card_moves_by_cause() {
    use cards::Status::{Clear, Failed, Pending};
    let legal = [
        (Cause::Station, Pending, Clear),
        (Cause::Station, Pending, Failed),
        (Cause::Retry, Failed, Pending),
        (Cause::Override, Pending, Clear),
        (Cause::Override, Failed, Clear),
        (Cause::Override, Pending, Failed),
        (Cause::Override, Clear, Failed),
        (Cause::Override, Failed, Failed),
    ];
    for cause in [Cause::Station, Cause::Retry, Cause::Override] {
        for from in cards::Status::ALL {
            for to in cards::Status::ALL {
                assert_eq!(from.can_become(to, cause), legal.contains(&(cause, from, to)), "{cause:?}: {from:?} → {to:?}");
            }
        }
    }
    assert_eq!(cards::Status::ALL.map(cards::Status::label), ["Menunggu", "Clear", "Failed"], "no code word on a page");
}

#[test]
fn run_document_account_and_mail_moves() {
    let runs = [Run::Running, Run::Finished];
    for from in runs {
        for to in runs {
            assert_eq!(from.can_become(to), (from, to) == (Run::Running, Run::Finished), "run {from:?} → {to:?}");
        }
    }
    let docs = [DocStatus::Queued, DocStatus::Ready, DocStatus::Failed];
    for from in docs {
        for to in docs {
            assert_eq!(from.can_become(to), from == DocStatus::Queued && to != DocStatus::Queued, "document {from:?} → {to:?}");
        }
    }
    for from in U::ALL {
        for to in U::ALL {
            let legal = matches!((from, to), (U::Pending, U::Active | U::Inactive) | (U::Active, U::Inactive) | (U::Inactive, U::Active));
            assert_eq!(from.can_become(to), legal, "account {from:?} → {to:?}");
        }
    }
    let mails = [M::Pending, M::Sent, M::Failed];
    for from in mails {
        for to in mails {
            assert_eq!(from.can_become(to), from == M::Pending && to != M::Pending, "mail {from:?} → {to:?}");
        }
    }
}

#[test]
fn every_audit_action_has_an_indonesian_label() {
    for a in Action::ALL {
        let label = a.label();
        assert!(!label.is_empty() && !label.contains('.') && !label.contains('_'), "{:?}: {label}", a.as_str());
        assert_eq!(Action::parse(a.as_str()), Some(a));
    }
    assert_eq!(Action::label_of("something.unknown"), "Aktivitas lain", "an unknown code never reaches a page");
}

/// A submission of PT Nyra in `status`, inserted directly.
async fn seed_submission(ctx: &loco_rs::app::AppContext, w: &World, number: &str, status: S) -> submission_rows::Model {
    let now = Utc::now();
    submission_rows::ActiveModel {
        producer_id: Set(w.producer.id),
        machine_type_id: Set(w.machine.id),
        created_by: Set(w.bank.id),
        number: Set(number.into()),
        title: Set(format!("Pengajuan {number}")),
        created_on: Set(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        card_count: Set(1),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(10),
        cards_file_name: Set("kartu.xlsx".into()),
        status: Set(status),
        ticket_code: Set((status != S::New && status != S::Rejected).then(|| format!("PERSO-UJI-{number}"))),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap()
}

async fn audit_rows(ctx: &loco_rs::app::AppContext, subject: &str, id: i32) -> u64 {
    audit_events::Entity::find()
        .filter(audit_events::Column::SubjectType.eq(subject))
        .filter(audit_events::Column::SubjectId.eq(id))
        .count(&ctx.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_request_transition_takes_exactly_the_legal_moves() {
    with_app(|_server, ctx| async move {
        let w = world(&ctx).await;
        let holder = seed_submission(&ctx, &w, "SUB/HOLD", S::New).await;
        let actor = Actor::anonymous(Some("uji".into()), "127.0.0.1");
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        for (i, from) in R::ALL.into_iter().enumerate() {
            for (j, to) in R::ALL.into_iter().enumerate() {
                let r = seed_request(&ctx, &w, &format!("470/{i}-{j}/2026"), from.as_str(), day).await;
                let before = audit_rows(&ctx, requests::SUBJECT, r.id).await;
                let m = requests::Move {
                    from,
                    to,
                    actor: &actor,
                    note: Some("uji mesin status"),
                    submission: Some((holder.id, &holder.number)),
                    base_url: ENV.base_url,
                    audiences: None,
                };
                let txn = ctx.db.begin().await.unwrap();
                let result = requests::transition(&txn, &[r.id], &m).await;
                txn.commit().await.unwrap();
                let now = requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap();
                if from.can_become(to) {
                    let (moved, _) = result.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                    assert_eq!((moved.len(), now.status), (1, to), "{from:?} → {to:?}");
                    assert_eq!(audit_rows(&ctx, requests::SUBJECT, r.id).await, before + 1, "{from:?} → {to:?} is audited");
                } else {
                    assert!(matches!(result, Err(AppError::Conflict(_))), "{from:?} → {to:?} must be refused");
                    assert_eq!((now.status, audit_rows(&ctx, requests::SUBJECT, r.id).await), (from, before), "{from:?} → {to:?} changed nothing");
                }
            }
        }
        // A move from a state the row is no longer in is refused too.
        let r = seed_request(&ctx, &w, "470/STALE/2026", "approved", day).await;
        let m = requests::Move { from: R::Submitted, to: R::Approved, actor: &actor, note: None, submission: None, base_url: ENV.base_url, audiences: None };
        let txn = ctx.db.begin().await.unwrap();
        assert!(matches!(requests::transition(&txn, &[r.id], &m).await, Err(AppError::Conflict(_))));
    })
    .await;
}

/// The request state that goes with a submission in `s`.
fn request_state_for(s: S) -> R {
    match s {
        S::New | S::Accepted => R::Bundled,
        S::Rejected => R::Approved,
        S::InProgress => R::InProgress,
        S::Done => R::Done,
        S::Received => R::Received,
    }
}

#[tokio::test]
async fn the_submission_transition_moves_its_requests_in_the_same_transaction() {
    with_app(|_server, ctx| async move {
        let w = world(&ctx).await;
        let actor = Actor::anonymous(Some("uji".into()), "127.0.0.1");
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        for (i, from) in S::ALL.into_iter().enumerate() {
            for (j, to) in S::ALL.into_iter().enumerate() {
                let s = seed_submission(&ctx, &w, &format!("SUB/{i}-{j}"), from).await;
                let r = seed_request(&ctx, &w, &format!("470/S{i}-{j}/2026"), request_state_for(from).as_str(), day).await;
                if from != S::Rejected {
                    let mut link: requests::ActiveModel = r.clone().into();
                    link.submission_id = Set(Some(s.id));
                    link.update(&ctx.db).await.unwrap();
                }
                let before = audit_rows(&ctx, submissions::SUBJECT, s.id).await;
                let note = (to == S::Rejected).then_some("Daftar kartu tidak lengkap");
                let txn = sifilma::models::begin_write(&ctx.db).await.unwrap();
                let result = submissions::transition(&txn, &s, submissions::Move { to, actor: &actor, note, env: &ENV, also: Vec::new() }).await;
                txn.commit().await.unwrap();
                let s_now = submission_rows::Entity::find_by_id(s.id).one(&ctx.db).await.unwrap().unwrap();
                let r_now = requests::Entity::find_by_id(r.id).one(&ctx.db).await.unwrap().unwrap();
                if from.can_become(to) {
                    result.unwrap_or_else(|e| panic!("{from:?} → {to:?}: {e}"));
                    assert_eq!(s_now.status, to, "{from:?} → {to:?}");
                    assert_eq!(r_now.status, request_state_for(to), "the request follows {from:?} → {to:?}");
                    assert_eq!(audit_rows(&ctx, submissions::SUBJECT, s.id).await, before + 1, "{from:?} → {to:?} is audited");
                } else {
                    assert!(matches!(result, Err(AppError::Conflict(_))), "{from:?} → {to:?} must be refused");
                    assert_eq!((s_now.status, r_now.status), (from, request_state_for(from)), "{from:?} → {to:?} changed nothing");
                    assert_eq!(audit_rows(&ctx, submissions::SUBJECT, s.id).await, before, "{from:?} → {to:?} wrote no audit row");
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_card_transition_takes_exactly_the_legal_moves() {
    with_app(|_server, ctx| async move {
        let w = world(&ctx).await;
        let s = seed_submission(&ctx, &w, "SUB/CARDS", S::InProgress).await;
        let r = seed_request(&ctx, &w, "470/CARDS/2026", "in_progress", NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()).await;
        let mut n = 0;
        for cause in [Cause::Station, Cause::Retry, Cause::Override] {
            for from in cards::Status::ALL {
                for to in cards::Status::ALL {
                    n += 1;
                    let card = card_rows::ActiveModel {
                        submission_id: Set(s.id),
                        request_id: Set(r.id),
                        row_no: Set(n),
                        serial: Set(format!("SAM{n:08}")),
                        status: Set(from),
                        created_at: Set(Utc::now().into()),
                        ..Default::default()
                    }
                    .insert(&ctx.db)
                    .await
                    .unwrap();
                    let which = match cause {
                        Cause::Station => Which::InRun { card: card.id, run: 0, serial: card.serial.clone() },
                        Cause::Retry => Which::One(card.id),
                        Cause::Override => Which::One(card.id),
                    };
                    // A station result needs the card to be in that run.
                    if cause == Cause::Station {
                        let mut m: card_rows::ActiveModel = card.clone().into();
                        m.run_id = Set(Some(0));
                        m.update(&ctx.db).await.unwrap();
                    }
                    let result = cards::transition(&ctx.db, which, from, to, cause, cards::Outcome::default()).await;
                    let now = card_rows::Entity::find_by_id(card.id).one(&ctx.db).await.unwrap().unwrap();
                    if from.can_become(to, cause) {
                        assert_eq!(result.unwrap(), 1, "{cause:?}: {from:?} → {to:?}");
                        assert_eq!(now.status, to);
                    } else {
                        assert!(matches!(result, Err(AppError::Conflict(_))), "{cause:?}: {from:?} → {to:?} must be refused");
                        assert_eq!(now.status, from);
                    }
                }
            }
        }
    })
    .await;
}

/// Rows written before requests followed their submission are brought to
/// their submission's stage by the migration, with an audit row each.
#[tokio::test]
async fn the_migration_brings_old_requests_to_their_submissions_stage() {
    use migration::{Migrator, MigratorTrait};
    with_app(|_server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let mut cases = Vec::new();
        for (i, (old, stage, expected)) in [
            (R::Bundled, S::InProgress, R::InProgress),
            (R::Bundled, S::Done, R::Done),
            (R::Bundled, S::Received, R::Received),
            (R::Done, S::Received, R::Received),
            (R::Bundled, S::Accepted, R::Bundled),
        ]
        .into_iter()
        .enumerate()
        {
            let s = seed_submission(&ctx, &w, &format!("SUB/OLD/{i}"), stage).await;
            let r = seed_request(&ctx, &w, &format!("470/OLD/{i}"), old.as_str(), day).await;
            let mut link: requests::ActiveModel = r.clone().into();
            link.submission_id = Set(Some(s.id));
            link.update(&ctx.db).await.unwrap();
            cases.push((r.id, old, expected));
        }
        // Undo that migration (and every later one), then run them all again.
        let since = Migrator::migrations().iter().rev().position(|m| m.name() == "m20261126_000009_requests_follow_submissions").expect("the fix") + 1;
        Migrator::down(&ctx.db, Some(u32::try_from(since).unwrap())).await.unwrap();
        Migrator::up(&ctx.db, None).await.unwrap();
        for (id, old, expected) in cases {
            let now = requests::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
            assert_eq!(now.status, expected, "{old:?} → {expected:?}");
            assert_eq!(audit_rows(&ctx, requests::SUBJECT, id).await, u64::from(old != expected), "one audit row per fixed request");
        }
        let entries: Vec<_> = audit_events::Entity::find().filter(audit_events::Column::ActorName.eq("sistem")).all(&ctx.db).await.unwrap();
        assert!(entries.iter().all(|e| !e.entry().action.contains('.')), "the fix reads in Indonesian on the timeline");
    })
    .await;
}
