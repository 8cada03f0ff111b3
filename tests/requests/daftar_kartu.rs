//! Issue 11 C: the card-list Excel of a submission is downloadable from
//! Pengajuan under the letter's scope: admin and the producer get the file as
//! uploaded; an institution only a list of its own requests' rows.
use calamine::Reader;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sifilma::models::_entities::{personalization_requests as requests, submissions, users};

use crate::support::{
    account,
    fixtures::{cards_for, good_rows, xlsx},
    scenario::{approved_pair, submission_form, world},
    with_app, Client,
};

/// Rows of the "Daftar Kartu SAM" sheet below the header: (No. Permintaan, No. Seri).
fn listed(bytes: &[u8]) -> Vec<(String, String)> {
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    let sheet = book.worksheet_range("Daftar Kartu SAM").expect("the template's sheet");
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(header, ["No.", "No. Permintaan", "No. Seri Kartu SAM", "Keterangan"]);
    rows.map(|r| (r[1].to_string(), r[2].to_string())).collect()
}

#[tokio::test]
async fn the_card_list_excel_is_downloaded_in_scope_and_institutions_get_their_rows_only() {
    with_app(|server, ctx| async move {
        let w = world(&ctx).await;
        let (_, b) = approved_pair(&ctx, &w).await;
        let xyz = users::Entity::find().filter(users::Column::Username.eq("bank_xyz")).one(&ctx.db).await.unwrap().unwrap();
        let mut m: requests::ActiveModel = b.clone().into();
        m.organisation_id = Set(xyz.organisation_id.unwrap());
        m.update(&ctx.db).await.unwrap();
        let ids: Vec<i32> = requests::Entity::find().all(&ctx.db).await.unwrap().into_iter().map(|r| r.id).collect();
        let uploaded = xlsx(&good_rows());
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get("/pengajuan/baru").await;
        let r = nyra.post_multipart("/pengajuan", submission_form(&nyra, &w, &ids, "SP/PERSO/2026", "5", Some(uploaded.clone()))).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        let id = submissions::Entity::find().one(&ctx.db).await.unwrap().unwrap().id;
        let url = format!("/pengajuan/{id}/daftar-kartu");

        let page = nyra.get(&format!("/pengajuan/{id}")).await.text();
        assert!(page.contains(&format!("href=\"{url}\" id=\"cards-download\"")), "beside the list, as in the manual");
        assert!(nyra.get("/pengajuan").await.text().contains(&format!("href=\"{url}\"")), "and in the list's Download column");

        // The producer and the admin: the file as uploaded.
        let got = nyra.get(&url).await;
        got.assert_status_ok();
        assert_eq!(got.header("content-disposition"), "attachment; filename=\"Daftar-Kartu-SAM-SP-PERSO-2026.xlsx\"");
        assert_eq!(got.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_eq!(got.header("x-content-type-options"), "nosniff");
        assert_eq!(got.as_bytes().to_vec(), uploaded, "the very file the producer sent");
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert_eq!(admin.get(&url).await.as_bytes().to_vec(), uploaded);

        // Institutions: a list of their own rows, never the other's cards.
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert!(bank.get(&format!("/pengajuan/{id}")).await.text().contains("id=\"cards-own-rows\""));
        let got = bank.get(&url).await;
        got.assert_status_ok();
        assert_eq!(got.header("content-disposition"), "attachment; filename=\"Daftar-Kartu-SAM-SP-PERSO-2026.xlsx\"");
        assert_eq!(listed(got.as_bytes()), cards_for("470/A/2026", 1, 3));
        let mut bxyz = Client::signed_in(&server, "bank_xyz").await;
        assert_eq!(listed(bxyz.get(&url).await.as_bytes()), cards_for("470/B/2026", 4, 2));

        // Outside the scope: 404 (403 for a role without submissions).
        let mut lain = Client::signed_in(&server, "pt_lain").await;
        assert_eq!(lain.get(&url).await.status_code(), 404);
        account(&ctx, "bank_lain", "lembaga", "active").await;
        let mut bank_lain = Client::signed_in(&server, "bank_lain").await;
        assert_eq!(bank_lain.get(&url).await.status_code(), 404);
        let mut op = Client::signed_in(&server, "operator_dc").await;
        assert_eq!(op.get(&url).await.status_code(), 403);

        // A new list on Edit replaces the kept file.
        let mut reordered = cards_for("470/B/2026", 4, 2);
        reordered.extend(cards_for("470/A/2026", 1, 3));
        let replacement = xlsx(&reordered);
        nyra.get(&format!("/pengajuan/{id}/ubah")).await;
        let form = nyra
            .multipart()
            .add_text("number", "SP/PERSO/2026")
            .add_text("title", "Judul baru")
            .add_text("card_count", "5")
            .add_text("machine_type_id", w.machine.id.to_string())
            .add_part("cards", axum_test::multipart::Part::bytes(replacement.clone()).file_name("daftar-baru.xlsx"));
        let r = nyra.post_multipart(&format!("/pengajuan/{id}"), form).await;
        assert_eq!(r.status_code(), 303, "{}", r.text());
        assert_eq!(nyra.get(&url).await.as_bytes().to_vec(), replacement);

        // Submissions from before the file was kept: rebuilt from the rows.
        let mut s: submissions::ActiveModel = submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().into();
        s.cards_file_key = Set(None);
        s.update(&ctx.db).await.unwrap();
        assert_eq!(listed(nyra.get(&url).await.as_bytes()), reordered);
    })
    .await;
}
