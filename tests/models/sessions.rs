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
