use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::users;

use crate::support::{admin, location, mails_to, organisation, with_app, Client};

const GOOD: &str = "Daftar-Produsen-2026";

#[tokio::test]
async fn an_applicant_registers_and_logs_in_after_admin_activation_with_a_mail() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let org = organisation(&ctx, "PT Nyra", "produsen").await;
        let pusat = organisation(&ctx, "Ditjen Dukcapil", "pusat").await;
        let mut client = Client::new(&server);
        let form = client.get("/daftar").await.text();
        assert!(form.contains("PT Nyra (Produsen)"));
        assert!(!form.contains(&format!("value=\"{}\"", pusat.id)), "the registry itself is not offered");

        let org_id = org.id.to_string();
        let r = client
            .post(
                "/daftar",
                &[
                    ("username", "andi.nyra"),
                    ("name", "Andi Pratama"),
                    ("email", "andi@nyra.co.id"),
                    ("phone", "021-5551234"),
                    ("organisation_id", &org_id),
                    ("password", GOOD),
                    ("confirmation", GOOD),
                ],
            )
            .await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(location(&r), "/login?ok=daftar");
        let applicant = users::Entity::find().filter(users::Column::Username.eq("andi.nyra")).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(applicant.status, "pending");
        assert_eq!(applicant.role, "produsen");
        assert_eq!(applicant.organisation_id, Some(org.id));
        assert!(client.login("andi.nyra", GOOD).await.text().contains("belum diaktifkan"));

        let mut admin_client = Client::signed_in(&server, "admin_pusat").await;
        let list = admin_client.get("/admin/pengguna?status=pending").await.text();
        assert!(list.contains("andi.nyra") && !list.contains("data-label=\"Username\">admin_pusat<"));
        admin_client.get(&format!("/admin/pengguna/{}", applicant.id)).await;
        let r = admin_client.post(&format!("/admin/pengguna/{}/aktifkan", applicant.id), &[]).await;
        assert_eq!(r.status_code(), 303);
        let activated = users::Entity::find_by_id(applicant.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(activated.status, "active");
        assert_eq!(client.login("andi.nyra", GOOD).await.status_code(), 303);

        if let Some(mails) = mails_to("andi@nyra.co.id") {
            let mail = mails.last().expect("activation mail reached the SMTP sink");
            assert!(mail.contains("Subject: Akun SI-FILMA Anda telah diaktifkan"), "{mail}");
            assert!(mail.contains("andi.nyra"));
            assert!(mail.contains("telah diaktifkan oleh admin Dukcapil"));
        }
    })
    .await;
}

#[tokio::test]
async fn bad_registrations_are_shown_per_field_and_save_nothing() {
    with_app(|server, ctx| async move {
        crate::support::account(&ctx, "bank_abc", "lembaga", "active").await;
        let org = organisation(&ctx, "Bank Mandiri", "lembaga").await;
        let pusat = organisation(&ctx, "Ditjen Dukcapil", "pusat").await;
        let (org_id, pusat_id) = (org.id.to_string(), pusat.id.to_string());
        let mut client = Client::new(&server);
        client.get("/daftar").await;
        let before = users::Entity::find().count(&ctx.db).await.unwrap();
        #[allow(clippy::type_complexity)]
        let cases: Vec<(Vec<(&str, &str)>, &str, &str)> = vec![
            (
                vec![("username", ""), ("name", "A"), ("email", "a@b.id"), ("organisation_id", &org_id), ("password", GOOD), ("confirmation", GOOD)],
                "username",
                "Username minimal 3 karakter",
            ),
            (
                vec![("username", "Bank ABC!"), ("name", "A"), ("email", "a@b.id"), ("organisation_id", &org_id), ("password", GOOD), ("confirmation", GOOD)],
                "username",
                "hanya boleh berisi huruf kecil",
            ),
            (
                vec![("username", "bank_abc"), ("name", "A"), ("email", "a@b.id"), ("organisation_id", &org_id), ("password", GOOD), ("confirmation", GOOD)],
                "username",
                "Username sudah dipakai.",
            ),
            (
                vec![
                    ("username", "baru"),
                    ("name", "A"),
                    ("email", "bank_abc@uji.go.id"),
                    ("organisation_id", &org_id),
                    ("password", GOOD),
                    ("confirmation", GOOD),
                ],
                "email",
                "Email sudah terdaftar",
            ),
            (
                vec![("username", "baru"), ("name", ""), ("email", "a@b.id"), ("organisation_id", &org_id), ("password", GOOD), ("confirmation", GOOD)],
                "name",
                "Nama wajib diisi.",
            ),
            (
                vec![("username", "baru"), ("name", "A"), ("email", "a@"), ("organisation_id", &org_id), ("password", GOOD), ("confirmation", GOOD)],
                "email",
                "Format email tidak valid",
            ),
            (
                vec![
                    ("username", "baru"),
                    ("name", "A"),
                    ("email", "a@b.id"),
                    ("organisation_id", &org_id),
                    ("password", "pendek"),
                    ("confirmation", "pendek"),
                ],
                "password",
                "minimal 12 karakter",
            ),
            (
                vec![
                    ("username", "baru"),
                    ("name", "A"),
                    ("email", "a@b.id"),
                    ("organisation_id", &org_id),
                    ("password", GOOD),
                    ("confirmation", "Lain-Sekali-2026"),
                ],
                "confirmation",
                "Konfirmasi password tidak sama",
            ),
            (
                vec![("username", "baru"), ("name", "A"), ("email", "a@b.id"), ("organisation_id", &pusat_id), ("password", GOOD), ("confirmation", GOOD)],
                "organisation_id",
                "Pilih organisasi Anda",
            ),
            (
                vec![("username", "baru"), ("name", "A"), ("email", "a@b.id"), ("organisation_id", "99999"), ("password", GOOD), ("confirmation", GOOD)],
                "organisation_id",
                "Pilih organisasi Anda",
            ),
        ];
        for (fields, field, message) in cases {
            let r = client.post("/daftar", &fields).await;
            assert_eq!(r.status_code(), 422, "{field}");
            let html = r.text();
            assert!(html.contains(&format!("id=\"err-{field}\"")) && html.contains(message), "{field}: {message}");
            assert!(!html.contains(GOOD), "passwords are never echoed back");
        }
        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), before);
    })
    .await;
}
