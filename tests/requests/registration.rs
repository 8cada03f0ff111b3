use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{audit_events, mail_outbox, users};

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

fn registration<'a>(username: &'a str, email: &'a str, org_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("username", username), ("name", "Pemohon Baru"), ("email", email), ("organisation_id", org_id), ("password", GOOD), ("confirmation", GOOD)]
}

async fn audit_count(ctx: &loco_rs::app::AppContext, action: &str) -> u64 {
    audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(&ctx.db).await.unwrap()
}

async fn outbox_to(ctx: &loco_rs::app::AppContext, address: &str) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find().filter(mail_outbox::Column::ToAddress.eq(address)).all(&ctx.db).await.unwrap()
}

/// Issue 12 (8): the form answers a taken username or a registered email
/// exactly as it answers a new account; the owner of the email (or the
/// applicant, for a taken username) learns of it by mail only.
#[tokio::test]
async fn taken_usernames_and_emails_get_the_same_answer_and_only_mailboxes_learn_more() {
    with_app(|server, ctx| async move {
        crate::support::account(&ctx, "bank_abc", "lembaga", "active").await;
        let org = organisation(&ctx, "Bank Mandiri", "lembaga").await;
        let org_id = org.id.to_string();
        let before = users::Entity::find().count(&ctx.db).await.unwrap();
        let mut answers = Vec::new();
        for (username, email) in [("baru.sekali", "baru@mandiri.co.id"), ("bank_abc", "lain@mandiri.co.id"), ("orang.lain", "bank_abc@uji.go.id")] {
            let mut client = Client::new(&server);
            client.get("/daftar").await;
            let r = client.post("/daftar", &registration(username, email, &org_id)).await;
            assert_eq!(r.status_code(), 303, "{username}/{email}: {}", r.text());
            assert_eq!(location(&r), "/login?ok=daftar");
            let page = client.page("/login?ok=daftar").await;
            answers.push((r.text(), page.replace(client.csrf.as_deref().unwrap_or_default(), "")));
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "the three answers are the same");
        assert!(!answers[0].1.contains("sudah dipakai") && !answers[0].1.contains("sudah terdaftar"));

        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), before + 1, "only the new account is created");
        assert!(users::Entity::find().filter(users::Column::Username.eq("orang.lain")).one(&ctx.db).await.unwrap().is_none());
        let owner = outbox_to(&ctx, "bank_abc@uji.go.id").await;
        assert_eq!(owner.len(), 1, "the owner of the registered email is told");
        assert!(owner[0].subject.contains("Permintaan pendaftaran dengan email Anda") && owner[0].text_body.contains("bank_abc"));
        let taken = outbox_to(&ctx, "lain@mandiri.co.id").await;
        assert_eq!(taken.len(), 1);
        assert!(taken[0].subject.contains("belum dapat diproses") && taken[0].text_body.contains("sudah dipakai"));
        let fresh = outbox_to(&ctx, "baru@mandiri.co.id").await;
        assert_eq!(fresh.len(), 1);
        assert!(fresh[0].subject.contains("diterima"));
        assert_eq!(audit_count(&ctx, "user.registered").await, 1);
        assert_eq!(audit_count(&ctx, "user.registration_email_taken").await, 1);
        assert_eq!(audit_count(&ctx, "user.registration_username_taken").await, 1);
    })
    .await;
}

/// Issue 12 (8): one address may send 5 registrations in 10 minutes; the
/// next is refused with a clear message and 429, audited, nothing created.
#[tokio::test]
async fn registrations_are_throttled_per_address() {
    with_app(|server, ctx| async move {
        let org = organisation(&ctx, "Bank Mandiri", "lembaga").await;
        let org_id = org.id.to_string();
        let mut client = Client::new(&server);
        client.get("/daftar").await;
        for i in 0..5 {
            let (username, email) = (format!("pemohon{i}"), format!("pemohon{i}@mandiri.co.id"));
            let r = client.post("/daftar", &registration(&username, &email, &org_id)).await;
            assert_eq!(r.status_code(), 303, "registration {i}");
        }
        let before = users::Entity::find().count(&ctx.db).await.unwrap();
        client.get("/daftar").await;
        let r = client.post("/daftar", &registration("pemohon9", "pemohon9@mandiri.co.id", &org_id)).await;
        assert_eq!(r.status_code(), 429);
        assert!(r.text().contains("Terlalu banyak pendaftaran akun dari alamat jaringan Anda. Silakan coba lagi dalam 10 menit."), "{}", r.text());
        assert_eq!(r.header("retry-after"), "600");
        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), before);
        assert!(outbox_to(&ctx, "pemohon9@mandiri.co.id").await.is_empty());
        assert_eq!(audit_count(&ctx, "user.registration_throttled").await, 1);
    })
    .await;
}
