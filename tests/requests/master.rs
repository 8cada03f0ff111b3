use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::_entities::{audit_events, holidays, organisations, stations};

use crate::support::{account, admin, with_app, Client};

#[tokio::test]
async fn master_data_is_for_admins_only() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        for slug in ["organisasi", "jenis-mesin", "pejabat", "stasiun", "hari-libur"] {
            assert_eq!(client.get(&format!("/master/{slug}")).await.status_code(), 403, "{slug}");
            assert_eq!(client.get(&format!("/master/{slug}/baru")).await.status_code(), 403, "{slug}");
            assert_eq!(client.post(&format!("/master/{slug}"), &[("name", "x")]).await.status_code(), 403, "{slug}");
        }
        assert_eq!(client.get("/master").await.status_code(), 403);
        let dashboard = client.page("/dashboard").await;
        assert!(!dashboard.contains("href=\"/master\""), "the menu hides what the role may not use");
    })
    .await;
}

#[tokio::test]
async fn stations_are_created_edited_and_deactivated_with_audit() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        let form = client.get("/master/stasiun/baru").await.text();
        assert!(form.contains("value=\"250\""), "default capacity is 250 cards per day");
        let r = client.post("/master/stasiun", &[("code", "dc-01"), ("name", "Stasiun DC 1"), ("readers", "4"), ("capacity_per_day", "250")]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let station = stations::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((station.code.as_str(), station.readers, station.capacity_per_day, station.active), ("DC-01", 4, 250, true));
        assert!(client.get("/master/stasiun?ok=disimpan").await.text().contains("Stasiun DC 1"));

        let path = format!("/master/stasiun/{}", station.id);
        client.get(&path).await;
        let r = client.post(&path, &[("code", "DC-01"), ("name", "Stasiun DC Satu"), ("readers", "8"), ("capacity_per_day", "500")]).await;
        assert_eq!(r.status_code(), 303);
        let r = client.post(&format!("{path}/nonaktifkan"), &[]).await;
        assert_eq!(r.status_code(), 303);
        let station = stations::Entity::find_by_id(station.id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((station.name.as_str(), station.capacity_per_day, station.active), ("Stasiun DC Satu", 500, false));
        assert_eq!(client.post(&format!("{path}/nonaktifkan"), &[]).await.status_code(), 409);
        let inactive = client.get("/master/stasiun?status=nonaktif").await.text();
        assert!(inactive.contains("Stasiun DC Satu"), "deactivated, not deleted");
        let actions: Vec<String> = audit_events::Entity::find()
            .filter(audit_events::Column::SubjectType.eq("station"))
            .all(&ctx.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["master.created", "master.updated", "master.deactivated"]);
        assert_eq!(client.get("/master/stasiun/9999").await.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn bad_master_data_is_refused_per_field() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        client.get("/master/stasiun/baru").await;
        client.post("/master/stasiun", &[("code", "DC-01"), ("name", "Satu"), ("readers", "4"), ("capacity_per_day", "250")]).await;
        // (form, fields, field with the error, message)
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, Vec<(&str, &str)>, &str, &str)> = vec![
            ("stasiun", vec![("code", "DC-01"), ("name", "Dua"), ("readers", "4"), ("capacity_per_day", "250")], "code", "Kode stasiun sudah dipakai."),
            ("stasiun", vec![("code", "DC 02!"), ("name", "Dua"), ("readers", "4"), ("capacity_per_day", "250")], "code", "hanya berisi huruf"),
            ("stasiun", vec![("code", "DC-02"), ("name", "Dua"), ("readers", "4"), ("capacity_per_day", "0")], "capacity_per_day", "harus antara 1 dan 100000"),
            ("stasiun", vec![("code", "DC-02"), ("name", "Dua"), ("readers", "empat"), ("capacity_per_day", "250")], "readers", "harus berupa angka bulat"),
            ("stasiun", vec![("code", "DC-02"), ("name", ""), ("readers", "4"), ("capacity_per_day", "250")], "name", "Nama stasiun wajib diisi."),
            ("organisasi", vec![("name", "PT Tanpa PIC"), ("kind", "produsen")], "pic_name", "Nama PIC wajib diisi."),
            ("organisasi", vec![("name", "Apa Saja"), ("kind", "kerajaan")], "kind", "Pilih jenis organisasi."),
            ("pejabat", vec![("name", "Budi"), ("nip", "123"), ("position", "Direktur"), ("office_address", "Jakarta")], "nip", "NIP terdiri dari 18 angka."),
            ("pejabat", vec![("name", "Budi"), ("position", ""), ("office_address", "Jakarta")], "position", "Jabatan wajib diisi."),
            ("hari-libur", vec![("date", "31-12-2026"), ("name", "Libur")], "date", "Tanggal wajib diisi"),
            ("jenis-mesin", vec![("name", "")], "name", "Nama jenis mesin wajib diisi."),
        ];
        for (slug, fields, field, message) in cases {
            let r = client.post(&format!("/master/{slug}"), &fields).await;
            assert_eq!(r.status_code(), 422, "{slug}.{field}");
            let html = r.text();
            assert!(html.contains(&format!("id=\"err-{field}\"")) && html.contains(message), "{slug}.{field}: {message}");
        }
        assert_eq!(stations::Entity::find().count(&ctx.db).await.unwrap(), 1);
        assert_eq!(organisations::Entity::find().filter(organisations::Column::Kind.eq("produsen")).count(&ctx.db).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn producers_carry_their_pic_and_holidays_are_unique_per_date() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        client.get("/master/organisasi/baru").await;
        let r = client
            .post(
                "/master/organisasi",
                &[
                    ("name", "PT Nyra"),
                    ("kind", "produsen"),
                    ("pic_name", "Andi Pratama"),
                    ("pic_position", "Direktur Operasional"),
                    ("pic_address", "Jl. Gatot Subroto Kav. 21"),
                ],
            )
            .await;
        assert_eq!(r.status_code(), 303);
        let dup = client.post("/master/organisasi", &[("name", "PT Nyra"), ("kind", "lembaga")]).await;
        assert!(dup.text().contains("Nama organisasi sudah terdaftar."));
        let list = client.get("/master/organisasi?q=nyra").await.text();
        assert!(list.contains("Andi Pratama") && list.contains("Produsen"));

        client.post("/master/hari-libur", &[("date", "2026-12-25"), ("name", "Hari Raya Natal")]).await;
        let again = client.post("/master/hari-libur", &[("date", "2026-12-25"), ("name", "Natal lagi")]).await;
        assert!(again.text().contains("sudah terdaftar sebagai hari libur"));
        assert_eq!(holidays::Entity::find().count(&ctx.db).await.unwrap(), 1);
        assert!(client.get("/master/hari-libur").await.text().contains("Jumat, 25 Desember 2026"));
    })
    .await;
}

/// Issue 12 (9): deactivating an organisation signs its people out at once
/// and refuses their logins; a session whose organisation is inactive is
/// refused by the guard; the admin cannot deactivate their own.
#[tokio::test]
async fn deactivating_an_organisation_ends_its_sessions_and_refuses_its_logins() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    use sifilma::models::_entities::sessions;
    with_app(|server, ctx| async move {
        let me = admin(&ctx).await;
        let bank = account(&ctx, "bank_abc", "lembaga", "active").await;
        let nyra = account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut bank_client = Client::signed_in(&server, "bank_abc").await;
        let mut nyra_client = Client::signed_in(&server, "pt_nyra").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;
        client.get("/master/organisasi").await;

        let own = me.organisation_id.unwrap();
        let r = client.post(&format!("/master/organisasi/{own}/nonaktifkan"), &[]).await;
        assert_eq!(r.status_code(), 409);
        assert!(r.text().contains("tidak dapat menonaktifkan organisasi Anda sendiri"));

        let org = bank.organisation_id.unwrap();
        let r = client.post(&format!("/master/organisasi/{org}/nonaktifkan"), &[]).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(sessions::Entity::find().filter(sessions::Column::UserId.eq(bank.id)).count(&ctx.db).await.unwrap(), 0);
        let r = bank_client.get("/permintaan").await;
        assert_eq!(r.status_code(), 303, "the session ended with the organisation");
        assert!(crate::support::location(&r).starts_with("/login"));
        let refused = bank_client.login("bank_abc", crate::support::PASSWORD).await;
        assert_eq!(refused.status_code(), 401);
        assert!(refused.text().contains("Organisasi akun Anda dinonaktifkan"));
        assert_eq!(sessions::Entity::find().filter(sessions::Column::UserId.eq(bank.id)).count(&ctx.db).await.unwrap(), 0, "no session opened");
        let audited = |action: &'static str| {
            let db = ctx.db.clone();
            async move { audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(&db).await.unwrap() }
        };
        assert_eq!(audited("organisation.sessions_ended").await, 1);
        assert_eq!(audited("login.refused_organisation").await, 1);

        // Deactivated behind the portal's back: the guard still refuses.
        let nyra_org = organisations::Entity::find_by_id(nyra.organisation_id.unwrap()).one(&ctx.db).await.unwrap().unwrap();
        let mut off: organisations::ActiveModel = nyra_org.into();
        off.active = Set(false);
        off.update(&ctx.db).await.unwrap();
        let r = nyra_client.get("/dashboard").await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(sessions::Entity::find().filter(sessions::Column::UserId.eq(nyra.id)).count(&ctx.db).await.unwrap(), 0);

        assert_eq!(client.post(&format!("/master/organisasi/{org}/aktifkan"), &[]).await.status_code(), 303);
        assert_eq!(bank_client.login("bank_abc", crate::support::PASSWORD).await.status_code(), 303, "reactivated, its people log in again");
    })
    .await;
}
