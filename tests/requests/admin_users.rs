use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{sessions, users};

use crate::support::{account, admin, organisation, with_app, Client, PASSWORD};

#[tokio::test]
async fn only_admins_manage_accounts() {
    with_app(|server, ctx| async move {
        let nyra = account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut client = Client::signed_in(&server, "pt_nyra").await;
        for path in ["/admin/pengguna", &format!("/admin/pengguna/{}", nyra.id), "/admin/audit", "/admin/audit/export"] {
            let r = client.get(path).await;
            assert_eq!(r.status_code(), 403, "{path}");
            assert!(r.text().contains("Akses ditolak"));
        }
        let r = client.post(&format!("/admin/pengguna/{}/nonaktifkan", nyra.id), &[]).await;
        assert_eq!(r.status_code(), 403);
        assert_eq!(users::Entity::find_by_id(nyra.id).one(&ctx.db).await.unwrap().unwrap().status, "active");
        let mut anonymous = Client::new(&server);
        assert_eq!(anonymous.get("/admin/pengguna").await.status_code(), 303);
    })
    .await;
}

#[tokio::test]
async fn admin_lists_searches_deactivates_and_resets() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let nyra = account(&ctx, "pt_nyra", "produsen", "active").await;
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut victim = Client::signed_in(&server, "pt_nyra").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;

        let list = client.get("/admin/pengguna?q=nyra").await.text();
        assert!(list.contains("pt_nyra") && !list.contains("bank_abc"));

        client.get(&format!("/admin/pengguna/{}", nyra.id)).await;
        assert_eq!(client.post(&format!("/admin/pengguna/{}/nonaktifkan", nyra.id), &[]).await.status_code(), 303);
        assert_eq!(victim.get("/dashboard").await.status_code(), 303, "sessions revoked on deactivation");
        assert_eq!(sessions::Entity::find().filter(sessions::Column::UserId.eq(nyra.id)).count(&ctx.db).await.unwrap(), 0);
        let twice = client.post(&format!("/admin/pengguna/{}/nonaktifkan", nyra.id), &[]).await;
        assert_eq!(twice.status_code(), 409);

        client.post(&format!("/admin/pengguna/{}/aktifkan", nyra.id), &[]).await;
        let reset = client.post(&format!("/admin/pengguna/{}/reset-password", nyra.id), &[]).await;
        reset.assert_status_ok();
        let html = reset.text();
        let start = html.find("<code>").unwrap() + 6;
        let new_password = &html[start..start + 16];
        let mut fresh = Client::new(&server);
        assert_eq!(fresh.login("pt_nyra", PASSWORD).await.status_code(), 401);
        assert_eq!(fresh.login("pt_nyra", new_password).await.status_code(), 303);

        assert_eq!(client.get("/admin/pengguna/99999").await.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn admin_assigns_role_and_organisation_of_the_same_kind() {
    with_app(|server, ctx| async move {
        let me = admin(&ctx).await;
        let user = account(&ctx, "bank_abc", "lembaga", "active").await;
        let producer = organisation(&ctx, "PT Nyra", "produsen").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        let path = format!("/admin/pengguna/{}", user.id);
        client.get(&path).await;
        let pid = producer.id.to_string();
        let bad = client.post(&path, &[("role", "operator"), ("organisation_id", &pid)]).await;
        assert_eq!(bad.status_code(), 422);
        assert!(bad.text().contains("harus berada pada organisasi berjenis Dukcapil Pusat"));
        let bad = client.post(&path, &[("role", "raja"), ("organisation_id", &pid)]).await;
        assert!(bad.text().contains("Pilih peran yang tersedia."));
        assert_eq!(users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap().role, "lembaga");

        let ok = client.post(&path, &[("role", "produsen"), ("organisation_id", &pid)]).await;
        assert_eq!(ok.status_code(), 303);
        let saved = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((saved.role.as_str(), saved.organisation_id), ("produsen", Some(producer.id)));

        let own = client.post(&format!("/admin/pengguna/{}/nonaktifkan", me.id), &[]).await;
        assert_eq!(own.status_code(), 409, "an admin cannot lock themself out");
    })
    .await;
}
