//! Accounts, sessions, audit and master data: the tables every later stage of
//! the chain refers to.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn timestamps(mut t: TableCreateStatement) -> TableCreateStatement {
    t.col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
        .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
        .to_owned()
}

fn fk(name: &str, from: (&str, &str), to: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(Alias::new(from.0), Alias::new(from.1)).to(Alias::new(to), Alias::new("id")).on_delete(on_delete).to_owned()
}

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("organisations"))
                .col(pk_auto("id"))
                .col(string_len_uniq("name", 200))
                .col(string_len("kind", 20))
                .col(text_null("address"))
                .col(string_len_null("phone", 40))
                .col(string_len_null("email", 200))
                .col(string_len_null("pic_name", 200))
                .col(string_len_null("pic_position", 200))
                .col(text_null("pic_address"))
                .col(boolean("active").default(true))
                .to_owned(),
        ))
        .await?;

        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("users"))
                .col(pk_auto("id"))
                .col(string_len_uniq("username", 60))
                .col(string_len("password_hash", 200))
                .col(string_len("name", 200))
                .col(string_len_uniq("email", 200))
                .col(text_null("address"))
                .col(string_len_null("phone", 40))
                .col(string_len_null("photo_key", 80))
                .col(string_len_null("photo_type", 40))
                .col(string_len("role", 20))
                .col(integer_null("organisation_id"))
                .col(string_len("status", 20))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .foreign_key(&mut fk("fk-users-organisation", ("users", "organisation_id"), "organisations", ForeignKeyAction::Restrict))
                .to_owned(),
        ))
        .await?;
        m.create_index(index("idx-users-organisation", "users", &["organisation_id"])).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("sessions"))
                .col(pk_auto("id"))
                .col(string_len_uniq("token_hash", 64))
                .col(integer("user_id"))
                .col(string_len("csrf_token", 64))
                .col(string_len("ip", 64))
                .col(string_len("user_agent", 300))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .foreign_key(&mut fk("fk-sessions-user", ("sessions", "user_id"), "users", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx-sessions-user", "sessions", &["user_id"])).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("login_failures"))
                .col(pk_auto("id"))
                .col(string_len("scope_key", 120))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx-login-failures-key", "login_failures", &["scope_key", "created_at"])).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("audit_events"))
                .col(pk_auto("id"))
                .col(integer_null("actor_id"))
                .col(string_len_null("actor_name", 60))
                .col(string_len("action", 60))
                .col(string_len("subject_type", 40))
                .col(integer_null("subject_id"))
                .col(string_len_null("subject_label", 200))
                .col(string_len_null("from_state", 40))
                .col(string_len_null("to_state", 40))
                .col(text_null("note"))
                .col(string_len_null("ip", 64))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idx-audit-created", "audit_events", &["created_at"])).await?;
        m.create_index(index("idx-audit-subject", "audit_events", &["subject_type", "subject_id"])).await?;

        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("machine_types"))
                .col(pk_auto("id"))
                .col(string_len_uniq("name", 200))
                .col(text_null("description"))
                .col(boolean("active").default(true))
                .to_owned(),
        ))
        .await?;

        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("officials"))
                .col(pk_auto("id"))
                .col(string_len("name", 200))
                .col(string_len_null("nip", 40))
                .col(string_len("position", 200))
                .col(text("office_address"))
                .col(boolean("active").default(true))
                .to_owned(),
        ))
        .await?;

        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("stations"))
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 40))
                .col(string_len("name", 200))
                .col(integer("readers"))
                .col(integer("capacity_per_day").default(250))
                .col(boolean("active").default(true))
                .to_owned(),
        ))
        .await?;

        m.create_table(timestamps(
            Table::create()
                .table(Alias::new("holidays"))
                .col(pk_auto("id"))
                .col(date_uniq("date"))
                .col(string_len("name", 200))
                .col(boolean("active").default(true))
                .to_owned(),
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["holidays", "stations", "officials", "machine_types", "audit_events", "login_failures", "sessions", "users", "organisations"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
