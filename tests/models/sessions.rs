use sifilma::models::sessions;

use crate::support::{account, with_db};

#[tokio::test]
async fn resolve_finds_only_live_tokens_and_close_all_keeps_the_current() {
    with_db(|ctx| async move {
        let user = account(&ctx, "bank_abc", "lembaga", "active").await;
        let a = sessions::open(&ctx.db, user.id, "10.0.0.1", "uji").await.unwrap();
        let b = sessions::open(&ctx.db, user.id, "10.0.0.1", "uji").await.unwrap();
        let current = sessions::resolve(&ctx.db, &a).await.unwrap().expect("live session");
        assert_eq!(current.user.id, user.id);
        assert_eq!(current.session.csrf_token.len(), 64);
        assert!(sessions::resolve(&ctx.db, "tebakan").await.unwrap().is_none());
        assert!(sessions::resolve(&ctx.db, &sessions::hash_token(&a)).await.unwrap().is_none(), "the stored hash is not a token");
        let revoked = sessions::close_all_for_user(&ctx.db, user.id, Some(current.session.id)).await.unwrap();
        assert_eq!(revoked, 1);
        assert!(sessions::resolve(&ctx.db, &b).await.unwrap().is_none());
        assert!(sessions::resolve(&ctx.db, &a).await.unwrap().is_some());
    })
    .await;
}

/// Resolves `token`, or says it is gone.
async fn user_of(db: &sea_orm::DatabaseConnection, token: &str) -> Option<String> {
    sessions::resolve(db, token).await.unwrap().map(|c| c.user.name.clone())
}

/// A session resolved once is then recalled from memory; a change made by
/// a write of this process shows at once, and one made elsewhere (another
/// portal process, a tool) within `memory::GENERATION_FOR`.
#[tokio::test]
async fn a_remembered_session_follows_every_change_of_its_user() {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    with_db(|ctx| async move {
        let bank = account(&ctx, "bank_abc", "lembaga", "active").await;
        let token = sessions::open(&ctx.db, bank.id, "10.0.0.1", "uji").await.unwrap();
        let name = user_of(&ctx.db, &token).await.expect("live session");

        // Recalled: a rename whose generation is set back is not seen.
        let txn = ctx.db.begin().await.unwrap();
        txn.execute_unprepared(&format!("UPDATE users SET name = 'Nama Diam' WHERE id = {}", bank.id)).await.unwrap();
        txn.execute_unprepared("UPDATE sign_in_generation SET n = n - 1 WHERE id = 1").await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(user_of(&ctx.db, &token).await.as_deref(), Some(name.as_str()), "recalled from memory");

        // Elsewhere: another pool on the same database deactivates the user.
        let elsewhere = Database::connect(ctx.config.database.uri.clone()).await.unwrap();
        elsewhere.execute_unprepared(&format!("UPDATE users SET status = 'inactive' WHERE id = {}", bank.id)).await.unwrap();
        tokio::time::sleep(sessions::memory::GENERATION_FOR + std::time::Duration::from_millis(20)).await;
        assert_eq!(user_of(&ctx.db, &token).await, None, "a deactivation made elsewhere shows within GENERATION_FOR");

        // Here: a logout in this process shows at once.
        elsewhere.execute_unprepared(&format!("UPDATE users SET status = 'active' WHERE id = {}", bank.id)).await.unwrap();
        let token = sessions::open(&ctx.db, bank.id, "10.0.0.1", "uji").await.unwrap();
        let current = sessions::resolve(&ctx.db, &token).await.unwrap().expect("live session");
        assert!(sessions::resolve(&ctx.db, &token).await.unwrap().is_some());
        sessions::sign_out(&ctx.db, &current, "10.0.0.1").await.unwrap();
        assert_eq!(user_of(&ctx.db, &token).await, None, "signed out here: gone at once");
    })
    .await;
}
