use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::{
    _entities::{audit_events, sessions},
    sessions::hash_token,
    users::{LoginOutcome, LoginRefusal, Model as User},
};

use crate::support::{account, location, with_app, Client, PASSWORD};

async fn audit_count(ctx: &loco_rs::app::AppContext, action: &str) -> u64 {
    audit_events::Entity::find().filter(audit_events::Column::Action.eq(action)).count(&ctx.db).await.unwrap()
}

#[tokio::test]
async fn landing_shows_both_applications_and_leads_to_login() {
    with_app(|server, _ctx| async move {
        let page = server.get("/").await;
        page.assert_status_ok();
        let html = page.text();
        assert!(html.contains("Sistem Rekapitulasi Kartu SAM"));
        assert!(html.contains("Sistem Aktivasi Kartu SAM"));
        assert!(html.contains("href=\"/aktivasi\"") && !html.contains("Segera hadir"), "the second application is open");
        assert!(html.contains("href=\"/login\""));
        let csp = page.header("content-security-policy");
        assert!(csp.to_str().unwrap().contains("script-src 'self'"));
    })
    .await;
}

#[tokio::test]
async fn login_opens_a_server_side_session_and_stores_only_its_hash() {
    with_app(|server, ctx| async move {
        let user = account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut client = Client::new(&server);
        let response = client.login("PT_Nyra", PASSWORD).await;
        assert_eq!(response.status_code(), 303);
        assert_eq!(location(&response), "/dashboard");
        let cookie = response.iter_headers_by_name("set-cookie").map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("sifilma_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
        let token = client.session_token().unwrap().to_string();
        let rows = sessions::Entity::find().filter(sessions::Column::UserId.eq(user.id)).all(&ctx.db).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].token_hash, hash_token(&token));
        assert_ne!(rows[0].token_hash, token);
        assert_eq!(audit_count(&ctx, "login.succeeded").await, 1);
        let dashboard = client.get("/dashboard").await;
        dashboard.assert_status_ok();
        assert!(dashboard.text().contains("Selamat datang, Nama pt_nyra"));

        let mut second = Client::new(&server);
        second.login("pt_nyra", PASSWORD).await;
        assert_ne!(second.session_token().unwrap(), token, "every login gets a new token");
    })
    .await;
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::new(&server);
        let wrong = client.login("bank_abc", "bukan-password-nya").await;
        let unknown = client.login("tidak_ada", "bukan-password-nya").await;
        for r in [&wrong, &unknown] {
            assert_eq!(r.status_code(), 401);
            assert!(r.text().contains("Username atau password salah."));
        }
        assert!(client.session_token().is_none());
        assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        assert_eq!(audit_count(&ctx, "login.failed").await, 2);
    })
    .await;
}

#[tokio::test]
async fn pending_and_inactive_accounts_cannot_log_in() {
    with_app(|server, ctx| async move {
        account(&ctx, "calon", "lembaga", "pending").await;
        account(&ctx, "mantan", "lembaga", "inactive").await;
        let mut client = Client::new(&server);
        let r = client.login("calon", PASSWORD).await;
        assert_eq!(r.status_code(), 401);
        assert!(r.text().contains("belum diaktifkan"));
        let r = client.login("mantan", PASSWORD).await;
        assert!(r.text().contains("dinonaktifkan"));
        assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn ten_failures_on_one_account_from_one_address_lock_that_pair_for_three_minutes() {
    with_app(|server, ctx| async move {
        account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut client = Client::new(&server);
        for _ in 0..10 {
            assert_eq!(client.login("pt_nyra", "salah-salah-salah").await.status_code(), 401);
        }
        let locked = client.login("pt_nyra", PASSWORD).await;
        assert_eq!(locked.status_code(), 429);
        assert!(locked.text().contains("Terlalu banyak percobaan login"));
        assert_eq!(locked.header("retry-after"), "180");
        assert!(client.session_token().is_none(), "even the right password is refused while locked");
        assert_eq!(audit_count(&ctx, "login.throttled").await, 1);
    })
    .await;
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_every_account_from_it() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::new(&server);
        for i in 0..20 {
            client.login(&format!("penebak{i}"), "salah-salah-salah").await;
        }
        let locked = client.login("bank_abc", PASSWORD).await;
        assert_eq!(locked.status_code(), 429);
    })
    .await;
}

#[tokio::test]
async fn logout_deletes_the_session_row() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        let token = client.session_token().unwrap().to_string();
        let out = client.post("/logout", &[]).await;
        assert_eq!(out.status_code(), 303);
        assert_eq!(location(&out), "/login?ok=logout");
        assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0);
        let mut replay = Client::new(&server);
        replay.set_cookie("sifilma_session", &token);
        let r = replay.get("/dashboard").await;
        assert_eq!(r.status_code(), 303);
        assert!(location(&r).starts_with("/login"));
    })
    .await;
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_a_session() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        for (idle, age) in [(Duration::minutes(31), Duration::minutes(40)), (Duration::minutes(1), Duration::hours(13))] {
            let mut client = Client::signed_in(&server, "bank_abc").await;
            // Aged by a write transaction of this process: a session kept in
            // memory is read again after it (`sessions::memory`).
            let row = sessions::Entity::find().one(&ctx.db).await.unwrap().unwrap();
            let mut active: sessions::ActiveModel = row.into();
            active.last_seen_at = Set((Utc::now() - idle).into());
            active.created_at = Set((Utc::now() - age).into());
            let txn = sifilma::models::begin_write(&ctx.db).await.unwrap();
            active.update(&txn).await.unwrap();
            txn.commit().await.unwrap();
            let r = client.get("/dashboard").await;
            assert_eq!(r.status_code(), 303, "expired session must not open the dashboard");
            assert_eq!(location(&r), "/login?next=%2Fdashboard");
            assert_eq!(sessions::Entity::find().count(&ctx.db).await.unwrap(), 0, "expired row is deleted");
        }
    })
    .await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_back() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::new(&server);
        let r = client.get("/profil").await;
        assert_eq!(location(&r), "/login?next=%2Fprofil");
        client.get("/login?next=%2Fprofil").await;
        let r = client.post("/login", &[("username", "bank_abc"), ("password", PASSWORD), ("next", "/profil")]).await;
        assert_eq!(location(&r), "/profil");
    })
    .await;
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::new(&server);
        client.get("/login").await;
        let r = client.post("/login", &[("username", "bank_abc"), ("password", PASSWORD), ("next", "//evil.example/")]).await;
        assert_eq!(location(&r), "/dashboard");
    })
    .await;
}

/// Issue 12 (4): a `next` with control characters, a backslash, a second
/// slash or a path the portal does not have lands on the dashboard — never
/// off-site, never a 500 after a successful login.
#[tokio::test]
async fn login_follows_only_the_portals_own_pages() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        for (raw, encoded) in [
            ("/\t/evil.example", "%2F%09%2Fevil.example"),
            ("/\n/evil.example", "%2F%0A%2Fevil.example"),
            ("/\r/evil.example", "%2F%0D%2Fevil.example"),
            ("/\u{b}/evil.example", "%2F%0B%2Fevil.example"),
            ("/\\evil.example", "%2F%5Cevil.example"),
            ("//evil.example/", "%2F%2Fevil.example%2F"),
            ("/evil.example", "%2Fevil.example"),
            ("https://evil.example/", "https%3A%2F%2Fevil.example%2F"),
        ] {
            let mut client = Client::new(&server);
            let form = client.get(&format!("/login?next={encoded}")).await;
            assert_eq!(form.status_code(), 200);
            assert!(!form.text().contains("evil.example"), "{raw:?} is not carried into the form");
            let r = client.post("/login", &[("username", "bank_abc"), ("password", PASSWORD), ("next", raw)]).await;
            assert_eq!(r.status_code(), 303, "{raw:?}: {}", r.text());
            assert_eq!(location(&r), "/dashboard", "{raw:?}");
        }
        let mut client = Client::new(&server);
        client.get("/login?next=%2Fpermintaan%3Fstatus%3Dapproved").await;
        let r = client.post("/login", &[("username", "bank_abc"), ("password", PASSWORD), ("next", "/permintaan?status=approved")]).await;
        assert_eq!(location(&r), "/permintaan?status=approved", "a page of the portal with its query is followed");
    })
    .await;
}

/// Issue 12 (8): someone guessing a known username from their own address
/// locks themself out, never the owner logging in from another address.
#[tokio::test]
async fn guessing_from_another_address_never_locks_the_owner_out() {
    with_app(|server, ctx| async move {
        account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut last = None;
        for _ in 0..25 {
            last = Some(User::login(&ctx.db, "pt_nyra", "tebakan-salah-salah", "203.0.113.9", "probe").await.unwrap());
        }
        assert!(matches!(last, Some(LoginOutcome::Refused(LoginRefusal::Throttled))), "the guessing address is locked");
        let mut owner = Client::new(&server);
        let r = owner.login("pt_nyra", PASSWORD).await;
        assert_eq!(r.status_code(), 303, "the owner from another address still logs in: {}", r.text());
        assert!(owner.session_token().is_some());
        assert!(audit_count(&ctx, "login.throttled").await >= 1);
    })
    .await;
}
