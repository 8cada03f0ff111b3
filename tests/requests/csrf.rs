use axum_test::multipart::Part;
use sea_orm::{EntityTrait, PaginatorTrait};
use sifilma::models::_entities::{audit_events, sessions, users};

use crate::support::{account, with_app, Client, PASSWORD};

const REFUSED: &str = "Token keamanan formulir tidak ada atau sudah kedaluwarsa";

#[tokio::test]
async fn login_without_token_is_refused_and_audits_nothing() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::new(&server);
        client.get("/login").await;
        let r = client.post_raw("/login", &[("username", "bank_abc"), ("password", PASSWORD)]).await;
        assert_eq!(r.status_code(), 403);
        assert!(r.text().contains(REFUSED));
        assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(audit_events::Entity::find().count(&ctx.db).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_form_from_another_page_load_or_site_is_refused() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        let change = [("old_password", PASSWORD), ("new_password", "Password-Baru-2026"), ("confirmation", "Password-Baru-2026")];

        let mut fields = vec![("_csrf", "0000")];
        fields.extend_from_slice(&change);
        assert_eq!(client.post_raw("/password", &fields).await.status_code(), 403, "wrong token");
        assert_eq!(client.post_raw("/password", &change).await.status_code(), 403, "missing token");

        let token = client.csrf.clone().unwrap();
        let mut fields = vec![("_csrf", token.as_str())];
        fields.extend_from_slice(&change);
        let cookie = format!("sifilma_session={}", client.session_token().unwrap());
        let cross = server.post("/password").add_header("cookie", cookie.clone()).add_header("origin", "https://evil.example").form(&fields).await;
        assert_eq!(cross.status_code(), 403, "foreign Origin");
        let cross = server.post("/password").add_header("cookie", cookie).add_header("sec-fetch-site", "cross-site").form(&fields).await;
        assert_eq!(cross.status_code(), 403, "cross-site fetch");

        let unchanged = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(unchanged.password_hash, user.password_hash, "nothing changed");
    })
    .await;
}

#[tokio::test]
async fn the_token_may_come_in_a_header() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let client = Client::signed_in(&server, "bank_abc").await;
        let cookie = format!("sifilma_session={}", client.session_token().unwrap());
        let r = server.post("/logout").add_header("cookie", cookie).add_header("x-csrf-token", client.csrf.clone().unwrap()).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn multipart_without_token_is_refused() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        let form = axum_test::multipart::MultipartForm::new()
            .add_text("name", "Nama Baru")
            .add_text("email", "baru@uji.go.id")
            .add_part("photo", Part::bytes(vec![0u8; 10]).file_name("a.png"));
        let r = client.post_multipart("/profil", form).await;
        assert_eq!(r.status_code(), 403);
        let unchanged = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(unchanged.name, user.name);
    })
    .await;
}
