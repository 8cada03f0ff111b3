//! The schedule against the database: capacity from the active stations,
//! holidays from master data, the queue in acceptance order, recomputed
//! when the queue or the capacity changes.
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use sifilma::models::{
    _entities::{holidays, machine_types, stations, submissions as subs, users},
    submissions::reschedule,
    submissions::schedule::Calendar,
};

use crate::support::{account, with_db};

async fn station(db: &sea_orm::DatabaseConnection, code: &str, capacity: i32) -> stations::Model {
    let now = Utc::now();
    stations::ActiveModel {
        code: Set(code.into()),
        name: Set(code.into()),
        readers: Set(4),
        capacity_per_day: Set(capacity),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

/// An accepted submission, accepted `minutes_ago` before now but never
/// before today's midnight in WIB: the expectations count working days from
/// today (WIB), and an acceptance on the day before would shift them all.
async fn accepted(db: &sea_orm::DatabaseConnection, producer: &users::Model, machine: i32, number: &str, cards: i32, minutes_ago: i64) -> subs::Model {
    let now = Utc::now();
    let wib = sifilma::locale::wib();
    let midnight = now.with_timezone(&wib).date_naive().and_hms_opt(0, 0, 0).unwrap().and_local_timezone(wib).unwrap().with_timezone(&Utc);
    let accepted_at = (now - Duration::minutes(minutes_ago)).max(midnight + Duration::seconds(60 - minutes_ago));
    subs::ActiveModel {
        producer_id: Set(producer.organisation_id.unwrap()),
        machine_type_id: Set(machine),
        created_by: Set(producer.id),
        number: Set(number.into()),
        title: Set(number.into()),
        created_on: Set(now.date_naive()),
        card_count: Set(cards),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("s.pdf".into()),
        file_size: Set(1),
        cards_file_name: Set("d.xlsx".into()),
        status: Set(sifilma::models::submissions::Status::Accepted),
        ticket_code: Set(Some(format!("PERSO-T-{number}"))),
        accepted_at: Set(Some(accepted_at.into())),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

async fn reload(db: &sea_orm::DatabaseConnection, s: &subs::Model) -> subs::Model {
    subs::Entity::find_by_id(s.id).one(db).await.unwrap().unwrap()
}

#[tokio::test]
async fn estimates_follow_stations_holidays_and_the_queue() {
    with_db(|ctx| async move {
        let db = &ctx.db;
        let nyra = account(&ctx, "pt_nyra", "produsen", "active").await;
        let now = Utc::now();
        let machine = machine_types::ActiveModel {
            name: Set("M".into()),
            active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        let today = Utc::now().with_timezone(&sifilma::locale::wib()).date_naive();
        let calendar = Calendar::new(Vec::<NaiveDate>::new());
        let day = |n: u32| calendar.nth_working_day(today, n);

        let dc1 = station(db, "DC-01", 250).await;
        let first = accepted(db, &nyra, machine.id, "A", 500, 30).await;
        let second = accepted(db, &nyra, machine.id, "B", 250, 20).await;
        reschedule(db, 3).await.unwrap();
        let (a, b) = (reload(db, &first).await, reload(db, &second).await);
        assert_eq!((a.estimated_start, a.estimated_finish), (Some(day(5)), Some(day(6))), "500 cards at 250/day");
        assert_eq!(
            (b.estimated_start, b.estimated_finish, b.estimated_handover),
            (Some(day(7)), Some(day(7)), Some(day(10))),
            "the FAQ example: queued behind 500"
        );

        // A second station doubles the daily capacity.
        station(db, "DC-02", 250).await;
        reschedule(db, 3).await.unwrap();
        assert_eq!(reload(db, &second).await.estimated_start, Some(day(6)));

        // A holiday on the day the work would start pushes it.
        holidays::ActiveModel {
            date: Set(day(5)),
            name: Set("Libur uji".into()),
            active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        reschedule(db, 3).await.unwrap();
        let a = reload(db, &first).await;
        assert_eq!(a.estimated_start, Some(day(6)), "the holiday is skipped");
        assert_ne!(a.estimated_start.unwrap().weekday(), chrono::Weekday::Sat);

        // The queue changes: the first submission leaves it (e.g. finished
        // early), so the second moves up.
        let mut gone: subs::ActiveModel = a.into();
        gone.status = Set(sifilma::models::submissions::Status::Done);
        gone.update(db).await.unwrap();
        let mut inactive: stations::ActiveModel = dc1.into();
        inactive.active = Set(false);
        inactive.update(db).await.unwrap();
        reschedule(db, 3).await.unwrap();
        assert_eq!(reload(db, &second).await.estimated_start, Some(day(6)), "first working day after the holiday, nobody ahead");

        // The disposition setting moves everything.
        reschedule(db, 2).await.unwrap();
        assert_eq!(reload(db, &second).await.estimated_start, Some(day(4)), "a 2-day disposition starts on the 4th working day");
    })
    .await;
}
