//! Reports through the router: each role's scope (also when a URL names
//! someone else's producer or institution), each filter, wrong input that
//! still renders a report, the dashboard's chart and to-do list, and the
//! Excel export read back with the page's numbers.
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use sifilma::models::_entities::organisations;

use crate::support::{scenario::recap_fixture, tile, unescape, with_app, Client};

const NOV: &str = "/reports?month=2026-11";

/// The card-flow figure labelled `label` ("Kartu …") on a Reports page.
fn figure(html: &str, label: &str) -> String {
    tile(html, &format!("Kartu {label}</span>"))
}

#[tokio::test]
async fn each_role_sees_its_own_scope() {
    with_app(|server, ctx| async move {
        let fx = recap_fixture(&ctx).await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let page = admin.page(NOV).await;
        assert_eq!(
            (figure(&page, "diminta"), figure(&page, "dalam daftar"), figure(&page, "clear"), figure(&page, "failed")),
            ("15".into(), "11".into(), "7".into(), "2".into())
        );
        assert!(page.contains("<svg") && page.contains("id=\"chart-months\"") && page.contains("viewBox="));
        assert!(page.contains("470/B/2026") && page.contains("Selisih -2"));

        let mut operator = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(figure(&operator.page(NOV).await, "dalam daftar"), "11");

        // Bank XYZ's line shares SP/REKAP/1 with Bank ABC: it sees only its own.
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        let page = xyz.page(NOV).await;
        assert_eq!((figure(&page, "dalam daftar"), figure(&page, "clear"), figure(&page, "failed")), ("2".into(), "1".into(), "1".into()));
        assert!(!page.contains("470/B/2026") && !page.contains("470/A/2026"));
        // Naming Bank ABC in the URL changes nothing but the message.
        let abc = fx.world.bank.organisation_id.unwrap();
        let page = xyz.page(&format!("{NOV}&institution={abc}")).await;
        assert_eq!(figure(&page, "dalam daftar"), "2");
        assert!(unescape(&page).contains("Lembaga tidak ditemukan atau tidak dapat Anda pilih"));

        // PT Lain asks for PT Nyra's figures: its own (none) and a message.
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        let page = lain.page(&format!("{NOV}&producer={}", fx.world.producer.id)).await;
        assert_eq!((figure(&page, "diminta"), figure(&page, "dalam daftar")), ("0".into(), "0".into()));
        assert!(unescape(&page).contains("Produsen tidak ditemukan atau tidak dapat Anda pilih"));
        assert!(!page.contains("SP/REKAP/1"));
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(figure(&nyra.page(NOV).await, "dalam daftar"), "11");
        // The export follows the same scope.
        let bytes = lain.get(&format!("/reports/export?month=2026-11&producer={}", fx.world.producer.id)).await.as_bytes().to_vec();
        assert_eq!(summary(&bytes, "Dalam daftar kartu"), 0.0);
    })
    .await;
}

#[tokio::test]
async fn each_filter_narrows_the_figures() {
    with_app(|server, ctx| async move {
        let fx = recap_fixture(&ctx).await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        for (query, listed) in [
            (format!("{NOV}&station={}", fx.st02), "2"),
            (format!("{NOV}&institution={}", fx.xyz), "2"),
            (format!("{NOV}&producer={}", fx.world.other_producer.id), "0"),
            (format!("{NOV}&machine={}", fx.world.machine.id), "11"),
            (format!("{NOV}&status=received"), "7"),
            (format!("{NOV}&basis=serah-terima"), "7"),
            ("/reports?period=rentang&from=2026-11-11&to=2026-11-11&basis=diterima".to_string(), "4"),
            ("/reports?period=triwulan&quarter=4&year=2026".to_string(), "11"),
            ("/reports?period=tahun&year=2026".to_string(), "11"),
            ("/reports?period=tahun&year=2025".to_string(), "0"),
        ] {
            let page = admin.page(&query).await;
            assert_eq!(figure(&page, "dalam daftar"), listed, "{query}");
            assert!(!page.contains("field-error"), "{query}");
        }
        let page = admin.page("/reports?period=triwulan&quarter=4&year=2026").await;
        assert_eq!(figure(&page, "diminta"), "22");
        assert!(page.contains("Triwulan IV 2026"));
    })
    .await;
}

#[tokio::test]
async fn wrong_input_gets_a_message_and_the_page_still_renders() {
    with_app(|server, ctx| async move {
        recap_fixture(&ctx).await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        for (query, message) in [
            ("/reports?month=2026-13", "Bulan harus berformat TTTT-BB"),
            ("/reports?month=1999-01", "Bulan harus berformat TTTT-BB"),
            ("/reports?period=triwulan&quarter=5&year=2026", "Triwulan harus 1, 2, 3 atau 4"),
            ("/reports?period=tahun&year=20266", "Tahun harus antara 2000 dan 2100"),
            ("/reports?period=rentang&from=2026-11-30&to=2026-11-01", "Tanggal akhir tidak boleh sebelum tanggal awal"),
            ("/reports?period=rentang&from=2010-01-01&to=2026-11-01", "Rentang tanggal paling panjang 10 tahun"),
            ("/reports?period=rentang&from=kemarin&to=2026-11-01", "Tanggal awal wajib diisi"),
            ("/reports?period=mingguan", "Jenis periode tidak dikenal"),
            ("/reports?month=2026-11&producer=abc", "Produsen tidak ditemukan"),
            ("/reports?month=2026-11&station=99999999999", "Stasiun tidak ditemukan"),
            ("/reports?month=2026-11&machine=-1", "Jenis mesin tidak ditemukan"),
            ("/reports?month=2026-11&status=hilang", "Status tidak dikenal"),
            ("/reports?month=2026-11&basis=kemarin", "Dasar tanggal tidak dikenal"),
            ("/reports?month=2026-11&month=%FF%FE", "Bulan harus berformat TTTT-BB"),
        ] {
            let response = admin.get(query).await;
            assert_eq!(response.status_code(), 200, "{query}");
            let page = unescape(&response.text());
            assert!(page.contains(message), "{query}: {message}");
            assert!(page.contains("class=\"field-error\""), "{query}");
            assert!(page.contains("id=\"chart-months\""), "{query}: the report is still drawn");
        }
        // A station filter that could not be used is not applied.
        let page = admin.page("/reports?month=2026-11&station=99999999999").await;
        assert_eq!(figure(&page, "dalam daftar"), "11");
        let export = admin.get("/reports/export?month=2026-13").await;
        assert_eq!(export.status_code(), 200);
    })
    .await;
}

/// The number beside `label` on the export's Ringkasan sheet.
fn summary(bytes: &[u8], label: &str) -> f64 {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let sheet = book.worksheet_range("Ringkasan").unwrap();
    let row = sheet.rows().find(|r| r.first().is_some_and(|c| *c == label)).unwrap_or_else(|| panic!("{label} missing"));
    match row[1] {
        Data::Float(f) => f,
        ref other => panic!("{label}: {other:?}"),
    }
}

#[tokio::test]
async fn the_export_shows_the_page_numbers_and_keeps_text_as_text() {
    with_app(|server, ctx| async move {
        let fx = recap_fixture(&ctx).await;
        // An institution whose name would be a formula in a careless export.
        let xyz = organisations::Entity::find_by_id(fx.xyz).one(&ctx.db).await.unwrap().unwrap();
        let mut m: organisations::ActiveModel = xyz.into();
        m.name = Set("=HYPERLINK(\"http://x\")".into());
        m.update(&ctx.db).await.unwrap();
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let page = admin.page(NOV).await;
        let response = admin.get("/reports/export?month=2026-11").await;
        assert_eq!(response.status_code(), 200);
        assert_eq!(response.header("content-disposition"), "attachment; filename=\"Rekapitulasi-2026-11.xlsx\"");
        let bytes = response.as_bytes().to_vec();
        for (label, figure_label) in [
            ("Diminta (permintaan disetujui)", "diminta"),
            ("Dalam daftar kartu", "dalam daftar"),
            ("Clear", "clear"),
            ("Failed", "failed"),
            ("Menunggu", "menunggu"),
            ("Diterima", "diterima"),
        ] {
            assert_eq!(summary(&bytes, label).to_string(), figure(&page, figure_label), "{label}");
        }
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), sifilma::models::reports::export::SHEETS.map(String::from));
        let selisih = book.worksheet_range("Selisih").unwrap();
        let cells: Vec<_> = selisih.rows().skip(1).map(|r| (r[0].to_string(), r[1].clone())).collect();
        assert_eq!(cells[0].0, "470/B/2026");
        assert_eq!(cells[1], ("470/E/2026".to_string(), Data::String("=HYPERLINK(\"http://x\")".into())));
        let formulas = book.worksheet_formula("Selisih").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in the export");
        let stages = book.worksheet_range("Waktu Proses").unwrap();
        let total = stages.rows().find(|r| r[0] == "Total proses").unwrap();
        assert_eq!(total[3], Data::Float(8.0));
        // Native charts are in the package.
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let charts = (0..zip.len()).filter(|i| zip.by_index(*i).unwrap().name().starts_with("xl/charts/chart")).count();
        assert_eq!(charts, 3);
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_draws_this_months_cards_and_what_waits() {
    with_app(|server, ctx| async move {
        let w = crate::support::scenario::world(&ctx).await;
        let today = chrono::Utc::now().with_timezone(&sifilma::locale::wib()).date_naive();
        let r = crate::support::scenario::seed_request(&ctx, &w, "470/TODO/2026", "submitted", today).await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let page = nyra.page("/dashboard").await;
        assert!(page.contains("Butuh tindakan Anda") && page.contains(&format!("href=\"/permintaan/{}\"", r.id)));
        assert!(page.contains("id=\"chart-card-status\"") && page.contains("width=\"100%\""));
        // Another producer has nothing to do with it.
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        let page = lain.page("/dashboard").await;
        assert!(!page.contains("470/TODO/2026") && page.contains("Tidak ada yang menunggu tindakan Anda"));
    })
    .await;
}

/// The Aktivasi figure labelled `label` on a Reports page.
fn activation_figure(html: &str, label: &str) -> String {
    tile(html, &format!("{label}</span>"))
}

/// Sistem Aktivasi on the Reports page and in the export's "Aktivasi"
/// sheet: the hand count of [`activation_recap_fixture`], each role's
/// scope, the province filter.
#[tokio::test]
async fn activations_are_in_the_recap_page_and_its_export() {
    use crate::support::activation_recap::activation_recap_fixture;
    with_app(|server, ctx| async move {
        let fx = activation_recap_fixture(&ctx).await;
        // An institution whose name would be a formula in a careless export.
        let xyz = organisations::Entity::find_by_id(fx.xyz).one(&ctx.db).await.unwrap().unwrap();
        let mut m: organisations::ActiveModel = xyz.into();
        m.name = Set("=SUM(1,1)".into());
        m.update(&ctx.db).await.unwrap();

        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        let page = unescape(&admin.page(NOV).await);
        let seen = |page: &str| -> Vec<String> {
            [
                "Permohonan aktivasi diajukan",
                "Permohonan disetujui",
                "Permohonan ditolak",
                "Permohonan ditarik",
                "Permohonan menunggu disposisi",
                "Card reader diajukan",
                "Card reader diaktifkan",
                "Card reader dicabut",
                "Card reader masih aktif",
            ]
            .iter()
            .map(|l| activation_figure(page, l))
            .collect()
        };
        assert_eq!(seen(&page), ["6", "2", "1", "1", "2", "10", "4", "1", "3"]);
        assert!(page.contains("<td data-label=\"Lembaga Pengguna\">=SUM(1,1)</td>") && page.contains("<td data-label=\"Provinsi\">Jawa Barat</td>"));
        assert!(page.contains("<option value=\"DKI Jakarta\">DKI Jakarta</option>"), "the province filter offers the readers' provinces");

        // Scope: Bank XYZ its own readers, PT Nyra what it filed.
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        let page = unescape(&xyz.page(NOV).await);
        assert_eq!(seen(&page), ["2", "0", "1", "0", "1", "3", "0", "0", "0"]);
        assert!(!page.contains("Organisasi bank_abc</td>") && !page.contains(">Jawa Barat<"), "nothing of Bank ABC, not even its provinces");
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        assert_eq!(seen(&unescape(&nyra.page(NOV).await)), ["2", "1", "0", "0", "1", "3", "0", "0", "0"]);

        // The province filter, in any case; a province outside the choices is said and not used.
        let page = unescape(&admin.page(&format!("{NOV}&province=BANTEN")).await);
        assert_eq!(seen(&page), ["2", "1", "0", "0", "1", "2", "1", "0", "1"]);
        assert!(page.contains("<option value=\"Banten\" selected>") && page.contains("Provinsi card reader (aktivasi)</strong>: Banten"));
        let page = unescape(&xyz.page(&format!("{NOV}&province=Jawa%20Barat")).await);
        assert!(page.contains("Provinsi tidak ditemukan atau tidak dapat Anda pilih"), "Bank XYZ has no reader in Jawa Barat");
        assert_eq!(activation_figure(&page, "Card reader diajukan"), "3");

        // The export's "Aktivasi" sheet: the page's numbers, names as text.
        let bytes = admin.get("/reports/export?month=2026-11").await.as_bytes().to_vec();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Aktivasi").unwrap();
        let row = |label: &str| sheet.rows().find(|r| r[0] == label).unwrap_or_else(|| panic!("{label} missing")).to_vec();
        assert_eq!(row("Permohonan diajukan")[1], Data::Float(6.0));
        assert_eq!(row("Card reader masih aktif")[1], Data::Float(3.0));
        let xyz_row = row("=SUM(1,1)");
        assert_eq!(xyz_row[0], Data::String("=SUM(1,1)".into()));
        assert_eq!(xyz_row[1..6], [Data::Float(2.0), Data::Float(0.0), Data::Float(1.0), Data::Float(0.0), Data::Float(1.0)]);
        assert_eq!(row("Jawa Barat")[1..5], [Data::Float(5.0), Data::Float(3.0), Data::Float(1.0), Data::Float(2.0)]);
        let formulas = book.worksheet_formula("Aktivasi").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in the export");
    })
    .await;
}
