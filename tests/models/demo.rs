//! The README's start command seeds one account per role, once.
use sea_orm::{EntityTrait, PaginatorTrait};
use sifilma::models::{
    _entities::{personalization_requests, users},
    demo::{self, DEMO_PASSWORD},
    users::{LoginOutcome, Model as User},
};

use crate::support::with_db;

#[tokio::test]
async fn demo_accounts_are_seeded_once_and_can_log_in() {
    with_db(|ctx| async move {
        let dir = std::env::temp_dir().join(format!("sifilma-demo-{}", uuid::Uuid::new_v4().simple()));
        let dir = dir.display().to_string();
        demo::seed(&ctx.db, &dir).await.unwrap();
        demo::seed(&ctx.db, &dir).await.unwrap();
        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), 5);
        assert_eq!(personalization_requests::Entity::find().count(&ctx.db).await.unwrap(), 2);
        for (username, role) in
            [("admin_pusat", "admin"), ("operator_dc", "operator"), ("pt_nyra", "produsen"), ("bank_abc", "lembaga"), ("dukcapil_bandung", "dukcapil_kota")]
        {
            match User::login(&ctx.db, username, DEMO_PASSWORD, "127.0.0.1", "demo").await.unwrap() {
                LoginOutcome::SignedIn { user, .. } => assert_eq!(user.role, role),
                LoginOutcome::Refused(r) => panic!("{username}: {r:?}"),
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}
