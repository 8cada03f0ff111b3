//! Issue 16 (6): housekeeping removes only what has served its purpose, in
//! batches, and says what it removed.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::{
    _entities::{audit_events, login_failures, mail_outbox, password_setups, sessions},
    audit_events::Actor,
    housekeeping::{self, Retention, BATCH},
    mail_outbox::Status,
};

use crate::support::{account, with_db};

#[tokio::test]
async fn housekeeping_removes_what_has_served_its_purpose_and_keeps_the_rest() {
    with_db(|ctx| async move {
        let db = &ctx.db;
        let user = account(&ctx, "pt_nyra", "produsen", "active").await;
        let now = Utc::now();
        let ago = |minutes: i64| -> sea_orm::prelude::DateTimeWithTimeZone { (now - Duration::minutes(minutes)).into() };
        let session = |n: u32, created: i64, seen: i64| sessions::ActiveModel {
            token_hash: Set(format!("{n:064}")),
            user_id: Set(user.id),
            csrf_token: Set("c".into()),
            ip: Set("127.0.0.1".into()),
            user_agent: Set("uji".into()),
            created_at: Set(ago(created)),
            last_seen_at: Set(ago(seen)),
            ..Default::default()
        };
        // Fresh; idle 31 minutes; 13 hours old though active.
        for (n, created, seen) in [(1, 10, 1), (2, 60, 31), (3, 13 * 60, 1)] {
            session(n, created, seen).insert(db).await.unwrap();
        }
        // More expired sessions than one batch holds.
        for n in 10..(10 + u32::try_from(BATCH).unwrap() + 5) {
            session(n, 120, 100).insert(db).await.unwrap();
        }
        for minutes in [1, 25 * 60] {
            login_failures::ActiveModel { scope_key: Set("ip:1".into()), created_at: Set(ago(minutes)), ..Default::default() }.insert(db).await.unwrap();
        }
        let mail = |status: Status, sent_days: Option<i64>, created_days: i64| mail_outbox::ActiveModel {
            to_address: Set("a@uji.go.id".into()),
            subject: Set("s".into()),
            text_body: Set("t".into()),
            html_body: Set("h".into()),
            status: Set(status),
            attempts: Set(1),
            next_attempt_at: Set(ago(created_days * 1440)),
            created_at: Set(ago(created_days * 1440)),
            sent_at: Set(sent_days.map(|d| ago(d * 1440))),
            ..Default::default()
        };
        mail(Status::Sent, Some(31), 31).insert(db).await.unwrap();
        let recent = mail(Status::Sent, Some(2), 2).insert(db).await.unwrap();
        let failed = mail(Status::Failed, None, 60).insert(db).await.unwrap();
        let pending = mail(Status::Pending, None, 60).insert(db).await.unwrap();
        let link = |n: u32, used: bool, created_days: i64, expires_days: i64| password_setups::ActiveModel {
            user_id: Set(user.id),
            token_hash: Set(format!("{n:064}")),
            expires_at: Set(ago(-expires_days * 1440)),
            used_at: Set(used.then(|| ago(created_days * 1440))),
            created_at: Set(ago(created_days * 1440)),
            ..Default::default()
        };
        link(1, true, 8, -7).insert(db).await.unwrap();
        link(2, false, 9, -8).insert(db).await.unwrap();
        let usable = link(3, false, 0, 1).insert(db).await.unwrap();

        let removed = housekeeping::run(db, &Retention::default(), &Actor::system()).await.unwrap();
        assert_eq!(removed.sessions, 2 + BATCH + 5, "idle and too old, over two batches");
        assert_eq!((removed.login_failures, removed.sent_mails, removed.password_links), (1, 1, 2));
        assert_eq!(sessions::Entity::find().count(db).await.unwrap(), 1, "the fresh session stays");
        assert_eq!(login_failures::Entity::find().count(db).await.unwrap(), 1, "a failure in the window still counts");
        let left: Vec<i32> = mail_outbox::Entity::find().all(db).await.unwrap().iter().map(|m| m.id).collect();
        assert_eq!(left, vec![recent.id, failed.id, pending.id], "failed and pending mails are never removed");
        assert_eq!(password_setups::Entity::find().all(db).await.unwrap().iter().map(|l| l.id).collect::<Vec<_>>(), vec![usable.id]);
        let audit = audit_events::Entity::find().filter(audit_events::Column::Action.eq("system.housekeeping")).all(db).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert!(audit[0].note.as_deref().unwrap_or_default().contains("1007 sesi"), "{audit:?}");

        let again = housekeeping::run(db, &Retention::default(), &Actor::system()).await.unwrap();
        assert_eq!(again.total(), 0);
        assert_eq!(
            audit_events::Entity::find().filter(audit_events::Column::Action.eq("system.housekeeping")).count(db).await.unwrap(),
            1,
            "nothing removed, nothing audited"
        );
    })
    .await;
}
