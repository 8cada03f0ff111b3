use crate::support::{account, scenario, with_app, Client};

/// Every role sees the seed's menu, limited to what it may use.
#[tokio::test]
async fn each_role_sees_its_own_menu() {
    with_app(|server, ctx| async move {
        let expectations: [(&str, &str, &[&str], &[&str]); 5] = [
            (
                "admin_pusat",
                "admin",
                &["Permintaan Personalisasi", "Pengajuan SAM Rekam Cetak", "Proses Personalisasi", "Cetak Dokumen BAST", "Master Data", "Reports"],
                &[],
            ),
            (
                "operator_dc",
                "operator",
                &["Proses Personalisasi", "Frequent Asked Question", "Reports", "Manual"],
                &["Master Data", "Permintaan Personalisasi", "Cetak Dokumen BAST"],
            ),
            ("pt_nyra", "produsen", &["Permintaan Personalisasi", "Pengajuan SAM Rekam Cetak", "Proses Personalisasi", "Cetak Dokumen BAST"], &["Master Data"]),
            ("bank_abc", "lembaga", &["Permintaan Personalisasi", "Cetak Dokumen BAST"], &["Master Data", "Pengajuan SAM Rekam Cetak", "Proses Personalisasi"]),
            ("dukcapil_bandung", "dukcapil_kota", &["Permintaan Personalisasi"], &["Master Data", "Proses Personalisasi"]),
        ];
        for (username, role, shown, hidden) in expectations {
            account(&ctx, username, role, "active").await;
            let mut client = Client::signed_in(&server, username).await;
            let html = client.get("/dashboard").await.text();
            assert!(html.contains("MAIN NAVIGATION") && html.contains("Profil Saya") && html.contains("Change Password") && html.contains("Logout"));
            assert!(html.contains(&format!("SI-FILMA v{}", env!("CARGO_PKG_VERSION"))), "footer shows the version");
            for label in shown {
                assert!(html.contains(&format!(">{label}</a>")), "{role} sees {label}");
            }
            for label in hidden {
                assert!(!html.contains(&format!(">{label}</a>")), "{role} must not see {label}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn reports_open_for_every_role_and_other_menus_respect_roles() {
    with_app(|server, ctx| async move {
        account(&ctx, "operator_dc", "operator", "active").await;
        account(&ctx, "pt_nyra", "produsen", "active").await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let page = nyra.get("/reports").await;
        page.assert_status_ok();
        assert!(page.text().contains("Rekapitulasi Personalisasi Kartu SAM") && !page.text().contains("sedang dibangun"));
        // Operators read the recap over everything (issue 14), nothing more.
        let mut client = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(client.get("/reports").await.status_code(), 200);
        assert_eq!(client.get("/pengajuan").await.status_code(), 403);
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_answer_404() {
    with_app(|server, _ctx| async move {
        assert_eq!(server.get("/tidak-ada").await.status_code(), 404);
    })
    .await;
}

/// The dashboard counts what waits for each role, scoped to its organisation.
#[tokio::test]
async fn the_dashboard_counts_what_waits_for_the_role() {
    with_app(|server, ctx| async move {
        let w = scenario::world(&ctx).await;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        for (n, status) in [("470/D/1", "submitted"), ("470/D/2", "submitted"), ("470/D/3", "approved")] {
            scenario::seed_request(&ctx, &w, n, status, day).await;
        }
        account(&ctx, "calon_baru", "lembaga", "pending").await;
        let tile = crate::support::tile;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let html = nyra.get("/dashboard").await.text();
        assert_eq!(tile(&html, "Permintaan menunggu persetujuan Anda"), "2");
        assert_eq!(tile(&html, "Permintaan disetujui, belum diajukan"), "1");
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        assert_eq!(tile(&lain.get("/dashboard").await.text(), "Permintaan menunggu persetujuan Anda"), "0", "another producer counts only its own");
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(tile(&bank.get("/dashboard").await.text(), "Permintaan menunggu persetujuan produsen"), "2");
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert_eq!(tile(&admin.get("/dashboard").await.text(), "Akun menunggu aktivasi"), "1");
    })
    .await;
}
