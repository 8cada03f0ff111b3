use crate::support::{account, with_app, Client};

/// Every role sees the seed's menu, limited to what it may use.
#[tokio::test]
async fn each_role_sees_its_own_menu() {
    with_app(|server, ctx| async move {
        let expectations: [(&str, &str, &[&str], &[&str]); 5] = [
            ("admin_pusat", "admin", &["Permintaan Personalisasi", "Pengajuan SAM Rekam Cetak", "Proses Personalisasi", "Cetak Dokumen BAST", "Master Data", "Reports"], &[]),
            ("operator_dc", "operator", &["Proses Personalisasi", "Frequent Asked Question", "Manual"], &["Master Data", "Permintaan Personalisasi", "Cetak Dokumen BAST"]),
            ("pt_nyra", "produsen", &["Permintaan Personalisasi", "Pengajuan SAM Rekam Cetak", "Cetak Dokumen BAST"], &["Master Data", "Proses Personalisasi"]),
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
async fn menus_of_later_stages_say_they_are_not_ready_and_respect_roles() {
    with_app(|server, ctx| async move {
        account(&ctx, "operator_dc", "operator", "active").await;
        let mut client = Client::signed_in(&server, "operator_dc").await;
        let page = client.get("/faq").await;
        page.assert_status_ok();
        assert!(page.text().contains("sedang dibangun"));
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
