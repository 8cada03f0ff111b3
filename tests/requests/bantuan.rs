//! Help: the in-app Manual (a chapter per role, the reader's first, a "?"
//! on every page header leading to its section, printable) and the
//! WhatsApp button of every page.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::{
    controllers::manual::{chapter, help_href},
    models::{
        _entities::audit_events,
        roles::{navigation, Role},
    },
};

use crate::support::{account, admin, unescape, with_app, Client};

const USERS: [(&str, &str, Role); 5] = [
    ("admin_pusat", "admin", Role::Admin),
    ("operator_dc", "operator", Role::Operator),
    ("pt_nyra", "produsen", Role::Produsen),
    ("bank_abc", "lembaga", Role::Lembaga),
    ("dukcapil_bandung", "dukcapil_kota", Role::DukcapilKota),
];

#[tokio::test]
async fn the_manual_opens_on_the_readers_chapter_and_every_help_link_lands() {
    with_app(|server, ctx| async move {
        for (username, role_code, role) in USERS {
            account(&ctx, username, role_code, "active").await;
            let mut client = Client::signed_in(&server, username).await;
            let html = client.page("/manual").await;
            let mine = chapter(role);
            let at = |id: &str| html.find(&format!(" id=\"{id}\" aria-labelledby=")).unwrap_or_else(|| panic!("{role_code}: chapter {id} missing"));
            assert!(html.contains(&format!("manual-chapter manual-mine\" id=\"{mine}\"")), "{role_code}: its own chapter is highlighted");
            for other in Role::ALL.into_iter().filter(|r| *r != role) {
                assert!(at(mine) < at(chapter(other)), "{role_code}: own chapter before {}", chapter(other));
            }
            assert!(at(mine) < at("umum"));
            // Every page of the role's menu, and the account pages, have a section.
            let keys = navigation(role).into_iter().map(|i| i.key).chain([""]);
            for key in keys {
                let href = help_href(role, key);
                let anchor = href.split_once('#').map(|(_, a)| a).unwrap();
                assert!(html.contains(&format!("id=\"{anchor}\"")), "{role_code}: {key:?} → #{anchor} exists");
            }
            assert!(html.contains("data-print") && html.contains(">Cetak</button>"), "a print button");
            assert_eq!(html.matches("<script").count(), 1, "only the script file (the CSP forbids inline scripts)");
            assert!(!html.contains("dukcapil_kota"), "no role codes on the page");
        }
    })
    .await;
}

#[tokio::test]
async fn each_page_header_has_a_help_link_to_its_section() {
    with_app(|server, ctx| async move {
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut client = Client::signed_in(&server, "bank_abc").await;
        for (path, section) in
            [("/permintaan", "lembaga-permintaan"), ("/dashboard", "umum-dashboard"), ("/faq", "umum-faq"), ("/profil", "umum-akun"), ("/bast", "lembaga-bast")]
        {
            let html = unescape(&client.page(path).await);
            assert!(html.contains(&format!("id=\"help-link\" href=\"/manual#{section}\"")), "{path} → #{section}");
        }
        admin(&ctx).await;
        let mut admin = Client::signed_in(&server, "admin_pusat").await;
        assert!(unescape(&admin.page("/faq").await).contains("href=\"/manual#admin-faq\""), "the admin's FAQ help explains managing it");
    })
    .await;
}

#[tokio::test]
async fn print_styles_hide_the_navigation_and_the_chat_button() {
    with_app(|server, _ctx| async move {
        let css = server.get("/static/css/app.css").await.text();
        let print = css.rsplit("@media print").next().unwrap();
        assert!(print.contains(".wa-float") && print.contains(".help-link"), "hidden in print");
        let js = server.get("/static/js/app.js").await.text();
        assert!(js.contains("[data-print]") && js.contains("window.print()"));
    })
    .await;
}

fn wa_href(html: &str) -> Option<String> {
    let html = unescape(html);
    let at = html.find("id=\"whatsapp-button\" href=\"")? + "id=\"whatsapp-button\" href=\"".len();
    html[at..].split('"').next().map(str::to_string)
}

#[tokio::test]
async fn the_whatsapp_button_follows_the_admins_number() {
    with_app(|server, ctx| async move {
        admin(&ctx).await;
        account(&ctx, "bank_abc", "lembaga", "active").await;
        let mut visitor = Client::new(&server);
        let mut bank = Client::signed_in(&server, "bank_abc").await;
        assert_eq!(wa_href(&visitor.page("/").await), None, "no number, no button");
        assert_eq!(wa_href(&bank.page("/dashboard").await), None);

        let mut client = Client::signed_in(&server, "admin_pusat").await;
        assert!(client.page("/master").await.contains("Nomor WhatsApp Admin"));
        let form = client.page("/master/whatsapp").await;
        assert!(form.contains("id=\"no-number\""));
        for (typed, message) in [
            ("08abc", "hanya boleh berisi angka"),
            ("0812", "8 sampai 15 angka"),
            ("+62 812 3456 7890 1234", "8 sampai 15 angka"),
            ("021-555-1234", "diawali 0 harus nomor seluler 08"),
        ] {
            let r = client.post("/master/whatsapp", &[("number", typed)]).await;
            assert_eq!(r.status_code(), 422, "{typed}");
            let html = r.text();
            assert!(html.contains("id=\"err-number\"") && html.contains(message), "{typed}: {message}");
        }
        let r = client.post("/master/whatsapp", &[("number", "0812-3456-7890")]).await;
        assert_eq!(r.status_code(), 303);
        assert!(client.page("/master/whatsapp?ok=disimpan").await.contains("+6281234567890"));

        let landing = visitor.page("/").await;
        assert_eq!(
            wa_href(&landing).as_deref(),
            Some("https://wa.me/6281234567890?text=Halo%20Admin%20SI-FILMA%2C%20saya%20ingin%20bertanya%20tentang%20layanan%20kartu%20SAM."),
            "a neutral greeting for visitors"
        );
        assert!(landing.contains("target=\"_blank\" rel=\"noopener noreferrer\""));
        let href = wa_href(&bank.page("/dashboard").await).expect("a button on app pages");
        assert!(
            href.starts_with("https://wa.me/6281234567890?text=Halo%20Admin%20SI-FILMA%2C%20saya%20Nama%20bank_abc%20dari%20Organisasi%20bank_abc."),
            "{href}"
        );
        assert!(wa_href(&bank.page("/faq").await).is_some() && wa_href(&visitor.page("/login").await).is_some());

        let r = client.post("/master/whatsapp", &[("number", "")]).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(wa_href(&visitor.page("/").await), None, "cleared: the button is gone");
        assert_eq!(wa_href(&bank.page("/dashboard").await), None);

        let changes = audit_events::Entity::find().filter(audit_events::Column::Action.eq("settings.whatsapp_changed")).count(&ctx.db).await.unwrap();
        assert_eq!(changes, 2);
        assert!(client.page("/admin/audit").await.contains("Nomor WhatsApp admin diubah"));

        assert_eq!(bank.get("/master/whatsapp").await.status_code(), 403);
        assert_eq!(bank.post("/master/whatsapp", &[("number", "081299998888")]).await.status_code(), 403);
        assert_eq!(wa_href(&visitor.page("/").await), None);
    })
    .await;
}
