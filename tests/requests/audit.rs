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
