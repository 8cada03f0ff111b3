//! The registry's IT team at the server's console on an empty database:
//! `sifilma-cli task create_admin` (the real binary, no terminal) prints a
//! one-time link, the link sets the password, the admin signs in; the tasks
//! refuse bad input and change nothing; no password or token reaches the
//! output other than the link itself.
use std::process::{Command, Stdio};

use loco_rs::{boot::run_task, task::Vars};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::{
    app::App,
    models::{
        _entities::{audit_events, organisations, password_setups, users},
        users::console,
    },
};

use crate::support::{location, with_app, Client};

/// Runs `sifilma-cli task <args>` against the test's database, stdin not a
/// terminal; returns (success, stdout, stderr).
fn cli(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
        .args(["task"])
        .args(args)
        .args(["-e", "test"])
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run sifilma-cli");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn task(ctx: &loco_rs::app::AppContext, name: &str, args: &[(&str, &str)]) -> loco_rs::Result<()> {
    let vars = Vars::from_cli_args(args.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect());
    run_task::<App>(ctx, Some(&name.to_string()), &vars).await
}

#[tokio::test]
async fn the_first_admin_comes_from_the_console_and_sets_the_password_by_link() {
    with_app(|server, ctx| async move {
        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), 0, "an empty production database");
        let (ok, out, err) = cli(&ctx.config.database.uri, &["create_admin", "username:Admin_Pusat", "email:Admin@Dukcapil.go.id", "name:Admin Pusat"]);
        assert!(ok, "create_admin failed: {out}\n{err}");
        let url = out.lines().find(|l| l.contains("/atur-password/")).unwrap_or_else(|| panic!("no link printed: {out}")).trim().to_string();
        let path = &url[url.find("/atur-password/").unwrap()..];
        let token = path.trim_start_matches("/atur-password/");
        assert!(!err.contains(token), "the token is not logged");
        assert_eq!(password_setups::Entity::find().count(&ctx.db).await.unwrap(), 1);
        let stored = password_setups::Entity::find().one(&ctx.db).await.unwrap().unwrap();
        assert_ne!(stored.token_hash, token, "only the token's hash is stored");

        let admin = users::Entity::find().filter(users::Column::Username.eq("admin_pusat")).one(&ctx.db).await.unwrap().expect("admin created");
        assert_eq!((admin.role.as_str(), admin.email.as_str()), ("admin", "admin@dukcapil.go.id"));
        let registry = organisations::Entity::find_by_id(admin.organisation_id.unwrap()).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((registry.name.as_str(), registry.kind.as_str()), (console::REGISTRY_NAME, "pusat"));
        let audited = audit_events::Entity::find().filter(audit_events::Column::Action.eq("user.created_on_server")).one(&ctx.db).await.unwrap().unwrap();
        assert!(audited.actor_name.as_deref().unwrap_or_default().starts_with("konsol:"), "{audited:?}");

        // Run again: idempotent, nothing new.
        let (ok, out, _) = cli(&ctx.config.database.uri, &["create_admin", "username:admin_pusat", "email:admin@dukcapil.go.id"]);
        assert!(ok && out.contains("sudah ada"), "{out}");
        assert_eq!(users::Entity::find().count(&ctx.db).await.unwrap(), 1);
        assert_eq!(organisations::Entity::find().count(&ctx.db).await.unwrap(), 1);

        // The link: a weak password is refused on the page and the link stays usable.
        let mut browser = Client::new(&server);
        let page = browser.page(path).await;
        assert!(page.contains("admin_pusat") && page.contains("Atur Password"), "{page}");
        let weak = browser.post(path, &[("password", "pendek"), ("confirmation", "pendek")]).await;
        assert_eq!(weak.status_code(), 422);
        assert!(weak.text().contains("minimal 12 karakter"), "{}", weak.text());
        let set = browser.post(path, &[("password", "Kata-Sandi-Pusat-2026"), ("confirmation", "Kata-Sandi-Pusat-2026")]).await;
        assert_eq!((set.status_code().as_u16(), location(&set).as_str()), (303, "/login?ok=password-diatur"));
        assert_eq!(browser.get(path).await.status_code(), 404, "a link is used once");
        let login = browser.login("admin_pusat", "Kata-Sandi-Pusat-2026").await;
        assert_eq!(login.status_code(), 303, "{}", login.text());
        assert!(browser.page("/dashboard").await.contains("Admin Pusat"));
    })
    .await;
}

#[tokio::test]
async fn console_tasks_refuse_bad_input_and_change_nothing() {
    with_app(|_server, ctx| async move {
        let other = crate::support::account(&ctx, "pt_nyra", "produsen", "active").await;
        let before = (users::Entity::find().count(&ctx.db).await.unwrap(), organisations::Entity::find().count(&ctx.db).await.unwrap());
        for (args, says) in [
            (vec![("email", "a@b.go.id")], "username"),
            (vec![("username", "pt_nyra"), ("email", "baru@dukcapil.go.id")], "sudah dipakai"),
            (vec![("username", "admin2"), ("email", other.email.as_str())], "sudah terdaftar"),
            (vec![("username", "Admin Dua!"), ("email", "dua@dukcapil.go.id")], "huruf kecil"),
            (vec![("username", "admin2"), ("email", "bukan-email")], "Format email"),
        ] {
            let err = task(&ctx, "create_admin", &args).await.expect_err("refused");
            assert!(err.to_string().contains(says), "{args:?}: {err}");
        }
        assert_eq!(before, (users::Entity::find().count(&ctx.db).await.unwrap(), organisations::Entity::find().count(&ctx.db).await.unwrap()));

        let err = task(&ctx, "reset_password", &[("username", "tidak_ada"), ("link", "ya")]).await.expect_err("unknown");
        assert!(err.to_string().contains("Tidak ada akun"), "{err}");
        // A weak password typed at the console is refused by the same rules as the web.
        let err = console::set_password(&ctx.db, &other, "pt_nyra", "pt_nyra").await.expect_err("weak");
        assert!(matches!(err, sifilma::models::AppError::Invalid(_)));

        // reset_password issues a link; a second one voids the first.
        task(&ctx, "reset_password", &[("username", "pt_nyra"), ("link", "ya")]).await.unwrap();
        let first = console::issue_link(&ctx.db, &other).await.unwrap();
        let second = console::issue_link(&ctx.db, &other).await.unwrap();
        assert!(console::Link::find(&ctx.db, &first).await.is_err(), "an older link stops working");
        assert!(console::Link::find(&ctx.db, &second).await.is_ok());
        assert_eq!(password_setups::Entity::find().filter(password_setups::Column::UsedAt.is_null()).count(&ctx.db).await.unwrap(), 1);

        // deactivate_user: the sessions end, a second time is refused.
        let mut client = Client::signed_in(&_server, "pt_nyra").await;
        task(&ctx, "deactivate_user", &[("username", "pt_nyra")]).await.unwrap();
        assert_eq!(location(&client.get("/dashboard").await), "/login?next=%2Fdashboard");
        let err = task(&ctx, "deactivate_user", &[("username", "pt_nyra")]).await.expect_err("twice");
        assert!(err.to_string().contains("sudah nonaktif"), "{err}");
        assert!(console::Link::find(&ctx.db, &second).await.is_err(), "an inactive account's link does nothing");
    })
    .await;
}
