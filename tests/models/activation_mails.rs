//! Issue 15 (mails): each step of a Permohonan Aktivasi queues its mails in
//! the outbox in the step's own transaction — the receipt with the request
//! page's estimate and the admins' news at filing, the reply number at
//! approval, the reason at rejection, the institution's notice when the
//! producer withdraws, the reader's numbers at revocation — in Indonesian,
//! with no code word; a refused step queues nothing.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sifilma::models::{
    _entities::{activation_readers, activation_requests, cards, mail_outbox},
    activations::{
        lifecycle::{approve, end, file, revoke, Letter},
        RequestStatus,
    },
    AppError,
};

use crate::support::{
    scenario::{received_submission, user},
    with_app,
};

fn letter(n: &str) -> Letter {
    crate::support::fixtures::activation_letter(n, &"0".repeat(32))
}

/// The mails queued after outbox row `after`, as (to, subject, text, html), by id.
async fn queued(db: &sea_orm::DatabaseConnection, after: i32) -> Vec<(String, String, String, String)> {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Id.gt(after))
        .order_by_asc(mail_outbox::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.to_address, m.subject, m.text_body, m.html_body))
        .collect()
}

async fn last_id(db: &sea_orm::DatabaseConnection) -> i32 {
    mail_outbox::Entity::find().order_by_desc(mail_outbox::Column::Id).one(db).await.unwrap().map_or(0, |m| m.id)
}

/// No status code, audit action or English status word reaches a reader.
fn no_code_words(text: &str) {
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).collect();
    for code in ["new", "pending", "active", "approved", "rejected", "withdrawn", "revoked", "void", "activation.filed", "activation", "None", "null"] {
        assert!(!words.contains(&code), "code word {code:?} in: {text}");
    }
}

#[tokio::test]
async fn every_step_queues_its_indonesian_mail_in_its_own_transaction() {
    with_app(|server, ctx| async move {
        let id = received_submission(&server, &ctx).await;
        let all: Vec<cards::Model> = cards::Entity::find().filter(cards::Column::SubmissionId.eq(id)).all(&ctx.db).await.unwrap();
        let line = |row: usize, serial: &str, reader: &str| crate::support::fixtures::reader_line(&all, row, serial, reader);
        let (bank, nyra, admin) = (user(&ctx, "bank_abc").await, user(&ctx, "pt_nyra").await, user(&ctx, "admin_pusat").await);
        let institution = bank.organisation_id.unwrap();
        let url = |rid: i32| format!("http://localhost:5151/aktivasi/{rid}");

        // Filing by the institution: its receipt and the admins' news.
        let mark = last_id(&ctx.db).await;
        let first =
            file(&ctx.db, &bank, institution, &letter("AKT/SUREL/1"), &[line(1, "0SAM00000001", "CR-S1"), line(2, "0SAM00000002", "CR-S2")], "127.0.0.1")
                .await
                .unwrap()
                .unwrap();
        let r = activation_requests::Entity::find_by_id(first).one(&ctx.db).await.unwrap().unwrap();
        let estimate = sifilma::locale::date(sifilma::models::activations::estimate(&ctx.db, r.created_at).await.unwrap());
        let mails = queued(&ctx.db, mark).await;
        let to: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(to, ["bank_abc@uji.go.id", "admin_pusat@uji.go.id"], "the applicant, then every active admin (not the operator)");
        let (_, subject, text, html) = &mails[0];
        assert_eq!(subject, "Permohonan aktivasi AKT/SUREL/1 diterima, menunggu disposisi");
        for part in [
            "Yth. Organisasi bank_abc,",
            "No. Surat Permohonan : AKT/SUREL/1 (20 November 2026)",
            "Jumlah card reader   : 2",
            &format!("Estimasi selesai     : {estimate} (7 hari kerja"),
            &url(first),
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        assert!(!text.contains("diajukan Organisasi"), "the institution filed itself: no 'filed by' clause");
        let html = crate::support::unescape(html);
        assert!(html.contains(&format!("<a href=\"{}\">", url(first))) && html.contains("<strong>AKT/SUREL/1</strong>"), "{html}");
        let (_, subject, text, _) = &mails[1];
        assert_eq!(subject, "Permohonan aktivasi baru AKT/SUREL/1 menunggu disposisi");
        assert!(text.contains("Lembaga Pengguna     : Organisasi bank_abc") && text.contains("Setujui atau tolak permohonan: ") && text.contains(&url(first)));
        for m in &mails {
            no_code_words(&m.1);
            no_code_words(&m.2);
        }

        // Filing by the producer: one receipt addressed to both, to both.
        let mark = last_id(&ctx.db).await;
        let second = file(&ctx.db, &nyra, institution, &letter("AKT/SUREL/2"), &[line(1, "0SAM00000003", "CR-S3")], "127.0.0.1").await.unwrap().unwrap();
        let mails = queued(&ctx.db, mark).await;
        let to: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(to, ["pt_nyra@uji.go.id", "bank_abc@uji.go.id", "admin_pusat@uji.go.id"]);
        assert!(mails[0].2.starts_with("Yth. Organisasi pt_nyra dan Organisasi bank_abc,"), "{}", mails[0].2);
        assert!(mails[0].2.contains("yang diajukan Organisasi pt_nyra untuk Organisasi bank_abc"), "{}", mails[0].2);
        assert_eq!(mails[0].2, mails[1].2, "one message to both");

        // A refused filing queues nothing.
        let mark = last_id(&ctx.db).await;
        file(&ctx.db, &bank, institution, &letter("AKT/SUREL/X"), &[line(1, "0SAM00000001", "CR-S9")], "127.0.0.1").await.unwrap().expect_err("bound");
        assert!(queued(&ctx.db, mark).await.is_empty());

        // Approval: the reply number and the readers activated.
        let mark = last_id(&ctx.db).await;
        let number = approve(&ctx.db, &admin, first, "127.0.0.1").await.unwrap();
        let mails = queued(&ctx.db, mark).await;
        assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["bank_abc@uji.go.id"]);
        let (_, subject, text, _) = &mails[0];
        assert_eq!(subject, &format!("Permohonan aktivasi AKT/SUREL/1 disetujui, No. Surat Balasan {number}"));
        assert!(
            text.contains(&format!("No. Surat Balasan      : {number}")) && text.contains("Card reader diaktifkan : 2") && text.contains(&url(first)),
            "{text}"
        );
        no_code_words(text);
        // A second approval is refused and queues nothing.
        let mark = last_id(&ctx.db).await;
        assert!(matches!(approve(&ctx.db, &admin, first, "127.0.0.1").await, Err(AppError::Conflict(_))));
        assert!(queued(&ctx.db, mark).await.is_empty());

        // Rejection: applicant and institution, with the reason.
        let mark = last_id(&ctx.db).await;
        end(&ctx.db, &admin, second, RequestStatus::Rejected, "Surat belum ditandatangani pejabat.", "127.0.0.1").await.unwrap();
        let mails = queued(&ctx.db, mark).await;
        assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["pt_nyra@uji.go.id", "bank_abc@uji.go.id"]);
        assert_eq!(mails[0].1, "Permohonan aktivasi AKT/SUREL/2 ditolak");
        assert!(mails[0].2.contains("Alasan penolakan: Surat belum ditandatangani pejabat.") && mails[0].2.contains(&url(second)), "{}", mails[0].2);
        no_code_words(&mails[0].2);

        // Withdrawal: nothing when the institution withdraws its own; the
        // institution is told when the producer withdraws.
        let mark = last_id(&ctx.db).await;
        let third = file(&ctx.db, &bank, institution, &letter("AKT/SUREL/3"), &[line(1, "0SAM00000004", "CR-S4")], "127.0.0.1").await.unwrap().unwrap();
        let after_filing = last_id(&ctx.db).await;
        assert_eq!(after_filing - mark, 2, "receipt and news");
        end(&ctx.db, &bank, third, RequestStatus::Withdrawn, "", "127.0.0.1").await.unwrap();
        assert!(queued(&ctx.db, after_filing).await.is_empty(), "an institution's own withdrawal is not mailed");
        let fourth = file(&ctx.db, &nyra, institution, &letter("AKT/SUREL/4"), &[line(1, "0SAM00000004", "CR-S4")], "127.0.0.1").await.unwrap().unwrap();
        let mark = last_id(&ctx.db).await;
        end(&ctx.db, &nyra, fourth, RequestStatus::Withdrawn, "", "127.0.0.1").await.unwrap();
        let mails = queued(&ctx.db, mark).await;
        assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["bank_abc@uji.go.id"]);
        assert_eq!(mails[0].1, "Permohonan aktivasi AKT/SUREL/4 ditarik oleh Organisasi pt_nyra");
        assert!(mails[0].2.starts_with("Yth. Organisasi bank_abc,") && mails[0].2.contains("(1 card reader)"), "{}", mails[0].2);
        no_code_words(&mails[0].2);

        // Revocation: S/N, activation number, reason and date.
        let reader = activation_readers::Entity::find()
            .filter(activation_readers::Column::RequestId.eq(first))
            .order_by_asc(activation_readers::Column::Id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let mark = last_id(&ctx.db).await;
        revoke(&ctx.db, &bank, reader.id, "Hilang di kantor cabang", chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), "127.0.0.1").await.unwrap();
        let mails = queued(&ctx.db, mark).await;
        assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["bank_abc@uji.go.id"]);
        let activation = reader.activation_number.clone().unwrap();
        let (_, subject, text, _) = &mails[0];
        assert_eq!(subject, &format!("Aktivasi card reader CR-S1 dicabut ({activation})"));
        for part in [
            "S/N Card Reader      : CR-S1",
            &format!("No. Aktivasi         : {activation}"),
            "Kartu SAM            : 0SAM00000001",
            "Tanggal pencabutan   : 24 November 2026",
            "Alasan               : Hilang di kantor cabang",
            "http://localhost:5151/aktivasi/pencabutan",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        no_code_words(text);

        // Delivered as queued (the sweeper of a worker process does this).
        let sent = sifilma::workers::mail_delivery::MailDelivery::sweep(&ctx, &tokio_util::sync::CancellationToken::new()).await.unwrap();
        assert!(sent >= 15, "every queued mail claimed: {sent}");
        if let Some(mails) = crate::support::mails_to("bank_abc@uji.go.id") {
            let receipt = mails.iter().find(|m| m.contains("AKT/SUREL/1 diterima")).expect("the receipt reached the sink");
            assert!(receipt.contains("Yth. Organisasi bank_abc,") && receipt.contains(&url(first)), "{receipt}");
            assert!(mails.iter().any(|m| m.contains(&format!("Aktivasi card reader CR-S1 dicabut ({activation})"))), "the revocation reached the sink");
        }
    })
    .await;
}
