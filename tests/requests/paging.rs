//! Every list says where the user is ("Menampilkan 1–20 dari 45 data") with
//! page numbers, and no value of `page` can make it fail: huge, negative,
//! text and fractions all land on a real page (clamped to the last one).
use chrono::NaiveDate;

use crate::support::{
    scenario::{done_submission, seed_request, world},
    unescape, with_app, Client,
};

const WILD: [&str; 8] = ["18446744073709551615", "922337203685477580", "-1", "0", "abc", "1e9", "2.5", "%00"];

#[tokio::test]
async fn no_page_value_breaks_a_list() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let mut lists = vec![
            "/permintaan".to_string(),
            "/pengajuan".to_string(),
            "/bast".to_string(),
            "/personalisasi".to_string(),
            "/admin/pengguna".to_string(),
            "/admin/audit".to_string(),
            "/aktivasi".to_string(),
            format!("/pengajuan/{id}/kartu"),
            format!("/personalisasi/{id}"),
        ];
        lists.extend(["organisasi", "jenis-mesin", "pejabat", "stasiun", "hari-libur"].map(|k| format!("/master/{k}")));
        for list in &lists {
            for page in WILD {
                let sep = if list.contains('?') { '&' } else { '?' };
                let r = admin.get(&format!("{list}{sep}page={page}")).await;
                assert_eq!(r.status_code(), 200, "{list} page={page}");
                assert!(unescape(&r.text()).contains("Menampilkan "), "{list} page={page} says where the user is");
            }
        }
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        for page in WILD {
            assert_eq!(nyra.get(&format!("/permintaan?page={page}&status=zzz&q=%25")).await.status_code(), 200, "page={page}");
            assert_eq!(nyra.get(&format!("/aktivasi?page={page}&status=zzz&reader=%00&sort=zzz&q=%25")).await.status_code(), 200, "page={page}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_list_counts_its_rows_and_numbers_its_pages() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        for i in 0..45 {
            seed_request(&ctx, &w, &format!("470/{i:03}/2026"), "submitted", day).await;
        }
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let first = unescape(&bank.page("/permintaan").await);
        assert!(first.contains("Menampilkan 1–20 dari 45 data"), "{first}");
        assert!(first.contains("href=\"?page=2\"") && first.contains("href=\"?page=3\""), "page numbers");
        let last = unescape(&bank.page("/permintaan?page=99999").await);
        assert!(last.contains("Menampilkan 41–45 dari 45 data"), "a page past the end shows the last one");
        let filtered = unescape(&bank.page("/permintaan?status=rejected").await);
        assert!(filtered.contains("Menampilkan 0–0 dari 0 data"), "{filtered}");
    })
    .await;
}

/// Any value of `page`, `sort`, `status` and `q` — generated, not picked —
/// gets an answer below 500 from every list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_string_makes_a_list_fail() {
    use proptest::{
        prelude::*,
        test_runner::{Config, TestRunner},
    };
    with_app(|server, ctx| async move {
        done_submission(&server, &ctx).await;
        let admin = tokio::sync::Mutex::new(Client::signed_in(&server, "admin_pusat").await);
        let value = prop_oneof![any::<String>(), "[0-9]{1,30}", "-?[0-9]{1,20}(\\.[0-9]{1,5})?", Just(String::new())];
        let lists =
            ["/permintaan", "/pengajuan", "/bast", "/personalisasi", "/admin/pengguna", "/admin/audit", "/master/organisasi", "/master/stasiun", "/aktivasi"];
        let strategy = (0..lists.len(), value.clone(), value.clone(), value.clone(), value);
        let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
        let handle = tokio::runtime::Handle::current();
        runner
            .run(&strategy, |(list, page, sort, status, q)| {
                let query = serde_urlencoded::to_string([("page", &page), ("sort", &sort), ("status", &status), ("q", &q)]).unwrap();
                let path = format!("{}?{query}", lists[list]);
                let code = tokio::task::block_in_place(|| handle.block_on(async { admin.lock().await.get(&path).await.status_code() }));
                prop_assert!(code.as_u16() < 500, "{path} answered {code}");
                Ok(())
            })
            .unwrap();
    })
    .await;
}
