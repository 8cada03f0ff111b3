//! Accounts from the console: `create_admin`, `reset_password`,
//! `deactivate_user`.
//!
//! Rule: a password is read without echo when the task runs on a terminal;
//! otherwise (or with `link:ya`) a one-time link valid 24 h is printed. No
//! password is ever an argument, and neither password nor link token is
//! logged.
use std::io::IsTerminal;

use async_trait::async_trait;
use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use super::{arg, failed, refused};
use crate::{
    models::users::{
        console::{self, Bootstrap, FirstAdmin, LINK_HOURS, LINK_PATH},
        Model as User,
    },
    settings::Settings,
};

/// How the new password gets set.
async fn set_password(ctx: &AppContext, user: &User, vars: &Vars) -> Result<()> {
    let want_link = vars.cli.get("link").is_some_and(|v| matches!(v.as_str(), "ya" | "yes" | "1" | "true"));
    if want_link || !std::io::stdin().is_terminal() {
        let token = console::issue_link(&ctx.db, user).await.map_err(refused)?;
        let url = crate::mailers::link(&Settings::get(ctx).public_url, &format!("{LINK_PATH}{token}"));
        tracing::info!(user = user.username, "set-password link issued");
        println!("Tautan atur password untuk {} (berlaku {LINK_HOURS} jam, sekali pakai):\n{url}", user.username);
        return Ok(());
    }
    let password =
        rpassword::prompt_password(format!("Password baru untuk {}: ", user.username)).map_err(|e| failed(format!("tidak dapat membaca password: {e}")))?;
    let confirmation = rpassword::prompt_password("Ulangi password baru: ").map_err(|e| failed(format!("tidak dapat membaca password: {e}")))?;
    console::set_password(&ctx.db, user, &password, &confirmation).await.map_err(refused)?;
    println!("Password {} tersimpan; semua sesinya diakhiri.", user.username);
    Ok(())
}

pub struct CreateAdmin;

#[async_trait]
impl Task for CreateAdmin {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "create_admin".into(), detail: "organisasi Ditjen Dukcapil + admin pertama: username:<u> email:<e> [name:<nama>] [link:ya]".into() }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        const USAGE: &str = "cargo loco task create_admin username:<u> email:<e> [name:<nama>] [link:ya]";
        let first =
            FirstAdmin { username: arg(vars, "username", USAGE)?, email: arg(vars, "email", USAGE)?, name: vars.cli.get("name").map_or("", String::as_str) };
        match first.create(&ctx.db).await.map_err(refused)? {
            Bootstrap::Created(user) => {
                println!("Admin {} dibuat di organisasi {}.", user.username, console::REGISTRY_NAME);
                set_password(ctx, &user, vars).await
            }
            Bootstrap::AlreadyThere(user) => {
                println!(
                    "Admin {} sudah ada dengan email itu; tidak ada yang diubah. Lupa password? cargo loco task reset_password username:{}",
                    user.username, user.username
                );
                Ok(())
            }
        }
    }
}

pub struct ResetPassword;

#[async_trait]
impl Task for ResetPassword {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "reset_password".into(), detail: "password baru (tanpa echo) atau tautan 24 jam: username:<u> [link:ya]".into() }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let user = console::account(&ctx.db, arg(vars, "username", "cargo loco task reset_password username:<u> [link:ya]")?).await.map_err(refused)?;
        if user.status != crate::models::users::Status::Active {
            return Err(failed(format!("Akun {} berstatus {}; aktifkan dulu lewat Manajemen Pengguna.", user.username, user.status.label())));
        }
        set_password(ctx, &user, vars).await
    }
}

pub struct DeactivateUser;

#[async_trait]
impl Task for DeactivateUser {
    fn task(&self) -> TaskInfo {
        TaskInfo { name: "deactivate_user".into(), detail: "nonaktifkan akun dan akhiri sesinya: username:<u>".into() }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let user = console::account(&ctx.db, arg(vars, "username", "cargo loco task deactivate_user username:<u>")?).await.map_err(refused)?;
        console::deactivate(&ctx.db, &user).await.map_err(refused)?;
        println!("Akun {} dinonaktifkan; semua sesinya diakhiri.", user.username);
        Ok(())
    }
}
