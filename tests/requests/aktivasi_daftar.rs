//! Issue 15 (list and dashboard): /aktivasi searches letter and reply
//! numbers, institution names, reader S/Ns and SAM serials within the
//! viewer's scope only (another institution's request is never found by
//! its serial), filters by status and by readers' status, sorts, and pages
//! like every list; the institution's dashboard counters land on a list
//! that shows the same number.
use chrono::{Duration, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use sifilma::models::_entities::{activation_readers, activation_requests, users};

use crate::support::{
    account,
    scenario::{user, world},
    tile, unescape, with_app, Client,
};

/// One reader line: (S/N, SAM serial, status, province).
type Reader<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A request inserted directly, `minutes_ago` old, with its readers.
async fn seed(ctx: &AppContext, by: &users::Model, institution: i32, letter: &str, status: &str, minutes_ago: i64, lines: &[Reader<'_>]) -> i32 {
    let at = Utc::now() - Duration::minutes(minutes_ago);
    let reply = (status == "approved").then(|| format!("AKT-2026-{}", letter.replace('/', "")));
    let r = activation_requests::ActiveModel {
        applicant_id: Set(by.organisation_id.unwrap()),
        institution_id: Set(institution),
        created_by: Set(by.id),
        letter_number: Set(letter.into()),
        letter_date: Set(at.date_naive()),
        file_key: Set("0".repeat(32)),
        file_kind: Set("pdf".into()),
        file_name: Set("surat.pdf".into()),
        file_size: Set(10),
        status: Set(status.into()),
        reply_number: Set(reply),
        created_at: Set(at.into()),
        updated_at: Set(at.into()),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await
    .unwrap();
    for (i, (reader, sam, st, province)) in lines.iter().enumerate() {
        let binds = matches!(*st, "pending" | "active");
        activation_readers::ActiveModel {
            request_id: Set(r.id),
            row_no: Set(i32::try_from(i).unwrap() + 1),
            machine_type_id: Set(1),
            reader_serial: Set((*reader).into()),
            sam_serial: Set((*sam).into()),
            perso_number: Set(format!("PN-{sam}")),
            card_id: Set(1),
            province: Set((*province).into()),
            city: Set("Kota Uji".into()),
            status: Set((*st).into()),
            live_sam: Set(binds.then(|| (*sam).to_string())),
            live_reader: Set(binds.then(|| (*reader).to_string())),
            activation_number: Set(matches!(*st, "active" | "revoked").then(|| format!("AKT-{sam}"))),
            issued_at: Set(matches!(*st, "active" | "revoked").then(|| at.into())),
            created_at: Set(at.into()),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
    }
    r.id
}

/// Page `path` as `c` sees it (200), HTML escapes undone.
async fn html(c: &mut Client<'_>, path: &str) -> String {
    unescape(&c.page(path).await)
}

/// Whether the list shows the request with letter number `letter`.
fn listed(page: &str, letter: &str) -> bool {
    page.contains(&format!("<td data-label=\"No. Surat\">{letter}</td>"))
}

/// "Menampilkan a–b dari N data" of a list page.
fn shown(page: &str) -> String {
    let at = page.find("Menampilkan ").expect("the list says where the user is");
    format!("{} data", page[at..].split(" data").next().unwrap())
}

/// Bank ABC: 24 requests AKT/ABC/01..24 (one reader each, CR-ABC-nn with
/// 0SAMABC000nn; every 3rd approved with its reader active, every 6th of
/// those revoked; the rest waiting), one filed for it by PT Nyra; Bank
/// XYZ: AKT/XYZ/01 with reader CR-XYZ-01 on 0SAMXYZ00001; Dukcapil
/// Bandung: AKT/BDG/01, waiting. Returns (bank org, xyz org, bandung org).
async fn fixture(ctx: &AppContext) -> (i32, i32, i32) {
    world(ctx).await;
    account(ctx, "dukcapil_bandung", "dukcapil_kota", "active").await;
    let (bank, xyz, nyra, bdg) = (user(ctx, "bank_abc").await, user(ctx, "bank_xyz").await, user(ctx, "pt_nyra").await, user(ctx, "dukcapil_bandung").await);
    let abc = bank.organisation_id.unwrap();
    for n in 1..=24_i64 {
        let (status, reader) = match n % 6 {
            0 => ("approved", "revoked"),
            3 => ("approved", "active"),
            _ => ("new", "pending"),
        };
        let (sn, sam) = (format!("CR-ABC-{n:02}"), format!("0SAMABC000{n:02}"));
        seed(ctx, &bank, abc, &format!("AKT/ABC/{n:02}"), status, 1000 - n, &[(&sn, &sam, reader, "Jawa Barat")]).await;
    }
    seed(
        ctx,
        &nyra,
        abc,
        "AKT/NYRA/01",
        "new",
        10,
        &[("CR-NYRA-01", "0SAMNYRA0001", "pending", "Banten"), ("CR-NYRA-02", "0SAMNYRA0002", "pending", "Banten")],
    )
    .await;
    seed(ctx, &xyz, xyz.organisation_id.unwrap(), "AKT/XYZ/01", "approved", 5, &[("CR-XYZ-01", "0SAMXYZ00001", "active", "DKI Jakarta")]).await;
    seed(ctx, &bdg, bdg.organisation_id.unwrap(), "AKT/BDG/01", "new", 3, &[("CR-BDG-01", "0SAMBDG00001", "pending", "Jawa Barat")]).await;
    (abc, xyz.organisation_id.unwrap(), bdg.organisation_id.unwrap())
}

#[tokio::test]
async fn the_search_finds_by_every_number_within_the_viewers_scope_only() {
    with_app(|server, ctx| async move {
        fixture(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        let mut nyra = Client::signed_in(&server, "pt_nyra").await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;

        // Another institution's request is never found by its serial, S/N or number.
        for q in ["0SAMXYZ00001", "0samxyz", "CR-XYZ-01", "AKT/XYZ/01", "bank_xyz", "AKT-2026-AKTXYZ01"] {
            let page = html(&mut bank, &format!("/aktivasi?q={}", urlencoding(q))).await;
            assert_eq!(shown(&page), "Menampilkan 0–0 dari 0 data", "bank_abc searching {q}");
            assert!(!listed(&page, "AKT/XYZ/01"), "{q}");
            let page = html(&mut admin, &format!("/aktivasi?q={}", urlencoding(q))).await;
            assert_eq!(shown(&page), "Menampilkan 1–1 dari 1 data", "the admin searching {q}");
            assert!(listed(&page, "AKT/XYZ/01"), "{q}");
        }
        assert_eq!(shown(&html(&mut xyz, "/aktivasi?q=0SAMXYZ00001").await), "Menampilkan 1–1 dari 1 data");

        // Every field, case-insensitive, trimmed.
        for (q, letter) in [
            ("cr-abc-07", "AKT/ABC/07"),
            ("  0samabc00011 ", "AKT/ABC/11"),
            ("akt/abc/05", "AKT/ABC/05"),
            ("AKT-2026-AKTABC12", "AKT/ABC/12"),
            ("0SAMNYRA0002", "AKT/NYRA/01"),
        ] {
            let page = html(&mut bank, &format!("/aktivasi?q={}", urlencoding(q))).await;
            assert_eq!(shown(&page), "Menampilkan 1–1 dari 1 data", "{q}");
            assert!(listed(&page, letter), "{q} finds {letter}");
        }
        // The institution's name: all its requests (24 own + PT Nyra's one).
        assert_eq!(shown(&html(&mut bank, "/aktivasi?q=organisasi%20bank_abc").await), "Menampilkan 1–20 dari 25 data");
        // Wildcards are text.
        assert_eq!(shown(&html(&mut bank, "/aktivasi?q=%25").await), "Menampilkan 0–0 dari 0 data");
        assert_eq!(shown(&html(&mut bank, "/aktivasi?q=AKT_ABC").await), "Menampilkan 0–0 dari 0 data");

        // A producer finds only what it filed.
        assert_eq!(shown(&html(&mut nyra, "/aktivasi?q=AKT/ABC").await), "Menampilkan 0–0 dari 0 data");
        assert_eq!(shown(&html(&mut nyra, "/aktivasi?q=cr-nyra").await), "Menampilkan 1–1 dari 1 data");
        // Search, status filter and paging together.
        let page = html(&mut bank, "/aktivasi?q=AKT/ABC&status=new&page=2").await;
        assert_eq!(shown(&page), "Menampilkan 1–16 dari 16 data", "16 waiting of AKT/ABC: a page past the end shows the last one");
        let page = html(&mut bank, "/aktivasi?q=AKT/ABC&status=approved").await;
        assert_eq!(shown(&page), "Menampilkan 1–8 dari 8 data");
        assert!(page.contains("value=\"AKT/ABC\"") && page.contains("<option value=\"approved\" selected>"), "the form keeps the query");
    })
    .await;
}

/// `q` encoded for a query string.
fn urlencoding(q: &str) -> String {
    serde_urlencoded::to_string([("q", q)]).unwrap().trim_start_matches("q=").to_string()
}

#[tokio::test]
async fn the_list_sorts_and_pages() {
    with_app(|server, ctx| async move {
        fixture(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let order = |page: &str| -> Vec<String> {
            page.match_indices("<td data-label=\"No. Surat\">").map(|(at, m)| page[at + m.len()..].split('<').next().unwrap().to_string()).collect()
        };
        let newest = html(&mut bank, "/aktivasi").await;
        assert_eq!(shown(&newest), "Menampilkan 1–20 dari 25 data");
        assert_eq!(order(&newest)[..3], ["AKT/NYRA/01", "AKT/ABC/24", "AKT/ABC/23"], "newest filing first");
        let last = html(&mut bank, "/aktivasi?page=2").await;
        assert_eq!(shown(&last), "Menampilkan 21–25 dari 25 data");
        assert_eq!(order(&last), ["AKT/ABC/05", "AKT/ABC/04", "AKT/ABC/03", "AKT/ABC/02", "AKT/ABC/01"]);
        let oldest = html(&mut bank, "/aktivasi?sort=asc").await;
        assert_eq!(order(&oldest)[..2], ["AKT/ABC/01", "AKT/ABC/02"]);
        assert!(oldest.contains("<option value=\"asc\" selected>"));
        let by_letter = html(&mut bank, "/aktivasi?sort=nomor&page=2").await;
        assert_eq!(order(&by_letter), ["AKT/ABC/21", "AKT/ABC/22", "AKT/ABC/23", "AKT/ABC/24", "AKT/NYRA/01"]);
        // The page links keep the query.
        assert!(html(&mut bank, "/aktivasi?sort=nomor").await.contains("href=\"?sort=nomor&page=2\""));
    })
    .await;
}

#[tokio::test]
async fn the_institutions_counters_land_on_a_list_that_agrees() {
    with_app(|server, ctx| async move {
        fixture(&ctx).await;
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        let board = html(&mut bank, "/dashboard").await;
        // Waiting: 16 of its own + PT Nyra's 1; active readers: every 6th+3 (4).
        assert_eq!(tile(&board, "Permohonan aktivasi menunggu disposisi"), "17");
        assert_eq!(tile(&board, "Card reader aktif"), "4");
        assert!(board.contains("href=\"/aktivasi?status=new\"") && board.contains("href=\"/aktivasi?reader=active\""));
        assert_eq!(shown(&html(&mut bank, "/aktivasi?status=new").await), "Menampilkan 1–17 dari 17 data");
        let active = html(&mut bank, "/aktivasi?reader=active").await;
        assert!(active.contains("Card reader berstatus Aktif pada permohonan yang ditampilkan: <strong>4</strong>"), "{active}");
        assert_eq!(shown(&active), "Menampilkan 1–4 dari 4 data");
        assert!(active.contains("<td data-label=\"Card Reader\">1 (1 aktif)</td>"));

        // Bank XYZ counts only its own.
        let mut xyz = Client::signed_in(&server, "bank_xyz").await;
        let board = html(&mut xyz, "/dashboard").await;
        assert_eq!((tile(&board, "Permohonan aktivasi menunggu disposisi"), tile(&board, "Card reader aktif")), ("0".into(), "1".into()));

        // A regency/city registry office is an institution too.
        let mut bandung = Client::signed_in(&server, "dukcapil_bandung").await;
        let board = html(&mut bandung, "/dashboard").await;
        assert_eq!((tile(&board, "Permohonan aktivasi menunggu disposisi"), tile(&board, "Card reader aktif")), ("1".into(), "0".into()));
        let list = html(&mut bandung, "/aktivasi?status=new").await;
        assert_eq!(shown(&list), "Menampilkan 1–1 dari 1 data");
        assert!(listed(&list, "AKT/BDG/01") && list.contains("id=\"new-activation\""), "it may file for its own readers");
        assert_eq!(shown(&html(&mut bandung, "/aktivasi?q=CR-ABC").await), "Menampilkan 0–0 dari 0 data");
    })
    .await;
}
