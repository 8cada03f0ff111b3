//! A submission bundles the requests of several institutions. What an
//! institution sees of it is only its own lines, cards, events and documents:
//! every page, export, download and JSON poll of each institution is checked
//! for the other institution's request numbers and card serials.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sifilma::models::{
    _entities::{documents, personalization_requests as requests},
    submissions,
};

use crate::support::{
    scenario::{cards_of, done_submission, user},
    unescape, with_app, Client,
};

#[tokio::test]
async fn an_institution_sees_only_its_own_part_of_a_shared_submission() {
    with_app(|server, ctx| async move {
        let id = done_submission(&server, &ctx).await;
        // 470/B/2026 belongs to Bank XYZ: the submission now bundles two institutions.
        let lines = requests::Entity::find().filter(requests::Column::SubmissionId.eq(id)).order_by_asc(requests::Column::Number).all(&ctx.db).await.unwrap();
        let (a, b) = (lines[0].clone(), lines[1].clone());
        let xyz = user(&ctx, "bank_xyz").await;
        let mut moved: requests::ActiveModel = b.clone().into();
        moved.organisation_id = Set(xyz.organisation_id.unwrap());
        moved.update(&ctx.db).await.unwrap();
        let serials = |request: i32| {
            let ctx = ctx.clone();
            async move { cards_of(&ctx, id).await.into_iter().filter(|c| c.request_id == request).map(|c| c.serial).collect::<Vec<_>>() }
        };
        let (a_serials, b_serials) = (serials(a.id).await, serials(b.id).await);

        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        nyra.get(&format!("/bast/{id}")).await.assert_status_ok();
        let received = nyra.post(&format!("/bast/{id}/terima"), &[(&format!("received_{}", a.id), "3"), (&format!("received_{}", b.id), "2")]).await;
        assert_eq!(received.status_code(), 303);
        let order = [
            (format!("bast_{}", a.id), "1"),
            (format!("bast_{}", b.id), "1"),
            (format!("list_{}", a.id), "1"),
            (format!("list_{}", b.id), "1"),
            ("reply".into(), "1"),
        ];
        let fields: Vec<(&str, &str)> = order.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(nyra.post(&format!("/bast/{id}/cetak"), &fields).await.status_code(), 303);
        let docs = documents::Entity::find().filter(documents::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let doc_of = |request: i32, kind: &str| docs.iter().find(|d| d.request_id == Some(request) && d.kind == kind).unwrap().clone();

        for (who, own, other, own_serials, other_serials) in [("bank_abc", &a, &b, &a_serials, &b_serials), ("bank_xyz", &b, &a, &b_serials, &a_serials)] {
            let mut c = Client::signed_in(&server, who).await;
            let mut seen = Vec::new();
            for path in [
                format!("/pengajuan/{id}"),
                format!("/pengajuan/{id}/kartu"),
                format!("/permintaan/{}", own.id),
                "/permintaan".to_string(),
                "/pengajuan".to_string(),
                format!("/bast/{id}"),
                format!("/bast/{id}/dokumen"),
                format!("/personalisasi/{id}/lihat"),
                format!("/personalisasi/{id}/progress"),
                "/personalisasi".to_string(),
                "/dashboard".to_string(),
            ] {
                let r = c.get(&path).await;
                assert_eq!(r.status_code(), 200, "{who} {path}");
                seen.push((path, unescape(&r.text())));
            }
            let list = c.get(&format!("/pengajuan/{id}/daftar-kartu")).await;
            assert_eq!(list.status_code(), 200, "{who}: the card list, own rows only");
            seen.push(("daftar-kartu (xlsx)".into(), xlsx_text(list.as_bytes())));
            for (path, text) in &seen {
                assert!(!text.contains(&other.number), "{who} {path} shows the other institution's request {}", other.number);
                for s in other_serials {
                    assert!(!text.contains(s.as_str()), "{who} {path} shows the other institution's card {s}");
                }
            }
            assert!(seen.iter().any(|(_, t)| t.contains(&own.number)), "{who} sees its own request");
            assert!(seen.iter().any(|(_, t)| own_serials.iter().all(|s| t.contains(s.as_str()))), "{who} sees its own cards");
            // Documents: its own line's BAST and card list; neither the other's nor the reply letter.
            assert_eq!(c.get(&format!("/bast/dokumen/{}", doc_of(own.id, "bast").id)).await.status_code(), 200, "{who} own BAST");
            assert_eq!(c.get(&format!("/bast/dokumen/{}", doc_of(other.id, "bast").id)).await.status_code(), 404, "{who} other BAST");
            assert_eq!(c.get(&format!("/bast/dokumen/{}", doc_of(other.id, "card_list").id)).await.status_code(), 404, "{who} other card list");
            assert_eq!(c.get(&format!("/permintaan/{}", other.id)).await.status_code(), 404, "{who} other request page");
        }
        assert_eq!(submissions::Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap().status, "received");
    })
    .await;
}

/// The cell texts of every sheet of an xlsx.
fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    let mut out = String::new();
    for name in book.sheet_names() {
        if let Ok(range) = book.worksheet_range(&name) {
            for row in range.rows() {
                for cell in row {
                    out.push_str(&cell.to_string());
                    out.push(' ');
                }
            }
        }
    }
    out
}
