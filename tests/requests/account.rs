use axum_test::multipart::Part;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{audit_events, sessions, users};

use crate::support::{account, fixtures::png, location, with_app, Client, PASSWORD};

const NEW_PASSWORD: &str = "Kata-Sandi-Baru-2026";

#[tokio::test]
async fn change_password_revokes_other_sessions_and_the_old_password() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut other = Client::signed_in(&server, "pt_nyra").await;
        let mut client = Client::signed_in(&server, "pt_nyra").await;
        client.get("/password").await.assert_status_ok();
        let r = client.post("/password", &[("old_password", PASSWORD), ("new_password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)]).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(location(&r), "/dashboard?ok=password");
        assert!(client.get("/dashboard?ok=password").await.text().contains("Password berhasil diubah"));
        assert_eq!(other.get("/dashboard").await.status_code(), 303, "the other session was revoked");
        assert_eq!(sessions::Entity::find().filter(sessions::Column::UserId.eq(user.id)).count(&ctx.db).await.unwrap(), 1);

        let mut fresh = Client::new(&server);
        assert_eq!(fresh.login("pt_nyra", PASSWORD).await.status_code(), 401);
        assert_eq!(fresh.login("pt_nyra", NEW_PASSWORD).await.status_code(), 303);
        let audited = audit_events::Entity::find().filter(audit_events::Column::Action.eq("user.password_changed")).count(&ctx.db).await.unwrap();
        assert_eq!(audited, 1);
    })
    .await;
}

#[tokio::test]
async fn change_password_refusals_change_nothing() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "pt_nyra_jakarta", "produsen", "active").await;
        let mut client = Client::signed_in(&server, "pt_nyra_jakarta").await;
        let cases: [(&str, &str, &str, &str, &str); 5] = [
            ("salah-lama-sekali", NEW_PASSWORD, NEW_PASSWORD, "old_password", "Password lama salah."),
            (PASSWORD, "pendek", "pendek", "new_password", "minimal 12 karakter"),
            (PASSWORD, "PT_NYRA_JAKARTA", "PT_NYRA_JAKARTA", "new_password", "tidak boleh sama dengan username"),
            (PASSWORD, NEW_PASSWORD, "Kata-Sandi-Lain-2026", "confirmation", "Konfirmasi password tidak sama"),
            (PASSWORD, "", "", "new_password", "minimal 12 karakter"),
        ];
        for (old, new, confirmation, field, message) in cases {
            let r = client.post("/password", &[("old_password", old), ("new_password", new), ("confirmation", confirmation)]).await;
            assert_eq!(r.status_code(), 422, "{field}");
            let html = r.text();
            assert!(html.contains(&format!("id=\"err-{field}\"")), "{field} marked");
            assert!(html.contains(message), "{message}");
        }
        let unchanged = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(unchanged.password_hash, user.password_hash);
    })
    .await;
}

#[tokio::test]
async fn profile_shows_read_only_identity_and_saves_editable_fields() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "dukcapil_bandung", "dukcapil_kota", "active").await;
        let mut client = Client::signed_in(&server, "dukcapil_bandung").await;
        let page = client.get("/profil").await;
        let html = page.text();
        assert!(html.contains("value=\"dukcapil_bandung\" readonly"));
        assert!(html.contains("Organisasi dukcapil_bandung"));
        let form = client
            .multipart()
            .add_text("name", "Dinas Dukcapil Bandung")
            .add_text("email", "Dukcapil@Bandung.go.id")
            .add_text("address", "Jl. Ambon No. 1B, Bandung")
            .add_text("phone", "+62 22 4209781")
            .add_part("photo", Part::bytes(png()).file_name("foto.png").mime_type("image/png"));
        let r = client.post_multipart("/profil", form).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let saved = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(saved.name, "Dinas Dukcapil Bandung");
        assert_eq!(saved.email, "dukcapil@bandung.go.id");
        assert_eq!(saved.username, "dukcapil_bandung");
        assert_eq!(saved.photo_type.as_deref(), Some("image/png"));
        let key = saved.photo_key.clone().unwrap();
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()), "server-generated key");

        let photo = client.get("/profil/foto").await;
        photo.assert_status_ok();
        assert_eq!(photo.header("content-type"), "image/png");
        assert_eq!(photo.header("x-content-type-options"), "nosniff");
        assert_eq!(photo.header("cache-control"), "private, no-store", "per-user content is never cached");
        assert_eq!(photo.as_bytes().as_ref(), png().as_slice());
        assert!(client.get("/dashboard").await.text().contains("src=\"/profil/foto\""));
    })
    .await;
}

#[tokio::test]
async fn profile_refuses_fake_or_large_photos_and_bad_fields() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "bank_abc", "lembaga", "active").await;
        account(&ctx, "bank_xyz", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        let user = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        client.get("/profil").await;
        let base = |c: &Client| c.multipart().add_text("name", "Bank ABC Baru").add_text("email", "baru@bankabc.co.id");
        let cases: Vec<(axum_test::multipart::MultipartForm, &str, &str)> = vec![
            (
                base(&client).add_part("photo", Part::bytes(b"<html><script>alert(1)</script></html>".to_vec()).file_name("foto.png").mime_type("image/png")),
                "photo",
                "JPG atau PNG",
            ),
            (
                base(&client).add_part(
                    "photo",
                    Part::bytes({
                        let mut v = png();
                        v.resize(1024 * 1024 + 1, 0);
                        v
                    })
                    .file_name("besar.png"),
                ),
                "photo",
                "melebihi 1 MB",
            ),
            (base(&client).add_part("photo", Part::bytes(b"%PDF-1.4 pdf".to_vec()).file_name("foto.jpg")), "photo", "JPG atau PNG"),
            (client.multipart().add_text("name", "").add_text("email", "baru@bankabc.co.id"), "name", "Nama Profil wajib diisi."),
            (client.multipart().add_text("name", "Bank").add_text("email", "bukan-email"), "email", "Format email tidak valid"),
            (client.multipart().add_text("name", "Bank").add_text("email", "bank_xyz@uji.go.id"), "email", "Email sudah terdaftar"),
            (client.multipart().add_text("name", "x".repeat(201)).add_text("email", "baru@bankabc.co.id"), "name", "maksimal 200 karakter"),
            (
                client.multipart().add_text("name", "Bank").add_text("email", "baru@bankabc.co.id").add_text("phone", "telepon saya"),
                "phone",
                "No. Telepon hanya berisi angka",
            ),
        ];
        for (form, field, message) in cases {
            let r = client.post_multipart("/profil", form).await;
            assert_eq!(r.status_code(), 422, "{field}: {message}");
            let html = r.text();
            assert!(html.contains(&format!("id=\"err-{field}\"")) && html.contains(message), "{field}: {message}");
        }
        let unchanged = users::Entity::find_by_id(user.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(unchanged, user, "nothing saved");
        assert_eq!(client.get("/profil/foto").await.status_code(), 404);
    })
    .await;
}
