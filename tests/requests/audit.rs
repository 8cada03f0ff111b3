use crate::support::{account, admin, with_app, Client};

#[tokio::test]
async fn admin_filters_and_exports_the_audit_trail() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut stranger = Client::new(&server);
        stranger.login("=cmd|' /C calc'!A0", "salah-salah-salah").await;
        stranger.login("bank_abc", "salah-salah-salah").await;
        let mut client = Client::signed_in(&server, "admin_pusat").await;

        let page = client.get("/admin/audit?action=login.failed").await;
        page.assert_status_ok();
        let html = page.text();
        assert!(html.contains("Login gagal") && html.contains("bank_abc"), "actions are shown by their Indonesian label");
        assert!(!html.contains("login.succeeded") && !html.contains("Login berhasil"));

        let csv = client.get("/admin/audit/export?action=login").await;
        csv.assert_status_ok();
        assert!(csv.header("content-type").to_str().unwrap().starts_with("text/csv"));
        let disposition = csv.header("content-disposition").to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment; filename=\"Audit-SIFILMA-") && disposition.ends_with(".csv\""));
        let body = csv.text();
        assert!(body.contains("No,Waktu (WIB),Pengguna,Aksi"));
        assert!(body.contains("\"login.succeeded\"") && body.contains("\"login.failed\""));
        assert!(body.contains("\"'=cmd|"), "formula-looking cells are exported as text");
    })
    .await;
}

#[tokio::test]
async fn subjects_are_named_in_indonesian_never_by_their_code() {
    with_app(|server, ctx| async move {
        let w = crate::support::scenario::world(&ctx).await;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let r = crate::support::scenario::seed_request(&ctx, &w, "470/AUDIT/2026", "submitted", day).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.page(&format!("/permintaan/{}", r.id)).await;
        assert_eq!(nyra.post(&format!("/permintaan/{}/setujui", r.id), &[]).await.status_code(), 303);
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let html = admin.page("/admin/audit").await;
        let subjects: Vec<&str> =
            html.split("data-label=\"Subjek\"").skip(1).map(|cell| cell.split('>').nth(1).unwrap_or("").split('<').next().unwrap_or("")).collect();
        assert!(subjects.iter().any(|s| s.starts_with("Permintaan 470/AUDIT/2026")), "{subjects:?}");
        for s in &subjects {
            assert!(
                sifilma::models::audit_events::SUBJECTS.iter().any(|(_, label)| s.starts_with(label)) || s.is_empty(),
                "a subject shown by its Indonesian name: {s:?}"
            );
        }
        for code in ["permintaan", "organisation", "machine_type"] {
            assert!(!html.contains(&format!(">{code}<")), "the code {code} is never a visible option or cell");
        }
        let csv = admin.get("/admin/audit/export").await.text();
        assert!(csv.contains("\"Permintaan 470/AUDIT/2026\""), "the export names the subject too");
    })
    .await;
}
