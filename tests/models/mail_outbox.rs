//! The outbox keeps a mail whose send failed and retries it later; the state
//! change that wrote it is never undone by SMTP.
use chrono::Utc;
use loco_rs::{config::SmtpMailer, mailer::EmailSender};
use sea_orm::EntityTrait;
use sifilma::models::mail_outbox::{self, backoff, Entity, Message, Status, MAX_ATTEMPTS};

use crate::support::with_db;

fn sender(port: u16) -> EmailSender {
    EmailSender::smtp(&SmtpMailer { enable: true, host: "127.0.0.1".into(), port, secure: false, tls: None, auth: None, hello_name: None })
        .expect("smtp sender")
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_failed_send_is_kept_and_retried_until_it_goes_through() {
    with_db(|ctx| async move {
        let message = Message { subject: "Uji antrean surel".into(), text: "Isi surel uji".into(), html: "<p>Isi surel uji</p>".into() };
        let ids = mail_outbox::enqueue(&ctx.db, &["Penerima@Uji.go.id".into(), "penerima@uji.go.id".into(), " ".into()], &message).await.unwrap();
        assert_eq!(ids.len(), 1, "duplicates and blanks are skipped");
        let id = ids[0];

        let sent = mail_outbox::deliver(&ctx.db, &sender(closed_port()), "noreply@uji.go.id", false, id).await.unwrap();
        assert!(!sent);
        let row = Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (Status::Pending, 1));
        assert!(row.last_error.is_some());
        assert!(row.next_attempt_at > Utc::now(), "the retry waits for its backoff");
        assert!(mail_outbox::claim_due(&ctx.db, 10).await.unwrap().is_empty(), "not due before the backoff");

        let Some(port) = crate::support::require_service("SMTP sink", "SIFILMA_TEST_SMTP_PORT") else { return };
        let sent = mail_outbox::deliver(&ctx.db, &sender(port.parse().unwrap()), "noreply@uji.go.id", false, id).await.unwrap();
        assert!(sent);
        let row = Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (Status::Sent, 2));
        let mail = crate::support::mails_to("penerima@uji.go.id").unwrap().pop().expect("delivered to the sink");
        assert!(mail.contains("Subject: Uji antrean surel") && mail.contains("Isi surel uji"));
    })
    .await;
}

#[tokio::test]
async fn a_due_mail_is_claimed_by_one_sweeper_until_its_lease_ends() {
    with_db(|ctx| async move {
        let message = Message { subject: "s".into(), text: "t".into(), html: "h".into() };
        let ids = mail_outbox::enqueue(&ctx.db, &["a@uji.go.id".into(), "b@uji.go.id".into(), "c@uji.go.id".into()], &message).await.unwrap();
        let first = mail_outbox::claim_due(&ctx.db, 2).await.unwrap();
        assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..2], "oldest first, at most the batch");
        let second = mail_outbox::claim_due(&ctx.db, 10).await.unwrap();
        assert_eq!(second.iter().map(|m| m.id).collect::<Vec<_>>(), ids[2..], "another sweeper gets only the unclaimed one");
        assert!(mail_outbox::claim_due(&ctx.db, 10).await.unwrap().is_empty(), "claimed mails are leased");
        for m in Entity::find().all(&ctx.db).await.unwrap() {
            assert_eq!(m.status, Status::Pending, "a claim changes no status");
            assert!(m.next_attempt_at > Utc::now() + chrono::Duration::seconds(mail_outbox::LEASE_SECS - 60), "leased for the lease time");
        }
        // The claiming process died: once the lease ends the mail is due again.
        let mut lapsed: mail_outbox::ActiveModel = Entity::find_by_id(ids[0]).one(&ctx.db).await.unwrap().unwrap().into();
        lapsed.next_attempt_at = sea_orm::ActiveValue::Set((Utc::now() - chrono::Duration::seconds(1)).into());
        sea_orm::ActiveModelTrait::update(lapsed, &ctx.db).await.unwrap();
        assert_eq!(mail_outbox::claim_due(&ctx.db, 10).await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), vec![ids[0]]);
    })
    .await;
}

#[tokio::test]
async fn delivery_gives_up_after_the_last_attempt() {
    with_db(|ctx| async move {
        let message = Message { subject: "s".into(), text: "t".into(), html: "h".into() };
        let id = mail_outbox::enqueue(&ctx.db, &["x@uji.go.id".into()], &message).await.unwrap()[0];
        let dead = sender(closed_port());
        for _ in 0..MAX_ATTEMPTS {
            mail_outbox::deliver(&ctx.db, &dead, "noreply@uji.go.id", false, id).await.unwrap();
        }
        let row = Entity::find_by_id(id).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (Status::Failed, MAX_ATTEMPTS));
    })
    .await;
}

#[test]
fn backoff_grows_and_is_capped() {
    assert_eq!(backoff(1).num_seconds(), 60);
    assert_eq!(backoff(2).num_seconds(), 120);
    assert_eq!(backoff(20).num_seconds(), 3600);
}

#[tokio::test]
async fn a_sweep_records_its_whole_batch_in_one_write() {
    with_db(|ctx| async move {
        if crate::support::require_service("SMTP sink", "SIFILMA_TEST_SMTP_PORT").is_none() {
            return;
        }
        let message = Message { subject: "Uji sapuan".into(), text: "t".into(), html: "h".into() };
        let to: Vec<String> = (0..3).map(|n| format!("sapuan{n}@uji.go.id")).collect();
        mail_outbox::enqueue(&ctx.db, &to, &message).await.unwrap();
        let before = sifilma::models::writes();
        let claimed = sifilma::workers::mail_delivery::MailDelivery::sweep(&ctx, &tokio_util::sync::CancellationToken::new()).await.unwrap();
        assert_eq!(claimed, 3);
        // Each write transaction counts its begin and its commit.
        assert_eq!(sifilma::models::writes() - before, 4, "one claim and one record, not a write per mail");
        for m in Entity::find().all(&ctx.db).await.unwrap() {
            assert_eq!((m.status, m.attempts), (Status::Sent, 1), "{}", m.to_address);
            assert!(m.sent_at.is_some() && m.last_error.is_none());
        }
    })
    .await;
}
