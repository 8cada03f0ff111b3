//! Issue 16 (3): a portal process told to stop (SIGTERM) under load stops
//! accepting, answers what it accepted (no 5xx), hands its claimed mails
//! back, exits 0; the next process sends every mail.
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use sifilma::models::{_entities::mail_outbox, mail_outbox::Status};

use crate::support::{boot_with, eventually, processes::Cluster, remote::Remote, scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_accepted_request_and_loses_no_mail() {
    let Some(cluster) = Cluster::new().await else { return };
    let url = cluster.database_url.clone();
    let seeded = boot_with(move |c| c.database.uri = url).await;
    let ctx = seeded.app_context.clone();
    let w = scenario::world(&ctx).await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let mut ids = Vec::new();
    for n in 0..80 {
        ids.push(scenario::seed_request(&ctx, &w, &format!("TERM/{n:03}/2026"), "submitted", day).await.id);
    }

    let mut portal = cluster.start();
    portal.ready(Duration::from_secs(60)).await;
    let statuses = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let stopping = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(Mutex::new(ids));
    let mut clients = Vec::new();
    for k in 0..4 {
        let (base, statuses, stopping, ids) = (portal.base.clone(), statuses.clone(), stopping.clone(), ids.clone());
        let user = if k % 2 == 0 { "pt_nyra" } else { "bank_abc" };
        clients.push(tokio::spawn(async move {
            let mut c = Remote::signed_in(&base, user).await;
            // Until the listener is gone: every answer counts, a refused
            // connection (after the stop) ends the client.
            loop {
                let next = (user == "pt_nyra").then(|| ids.lock().unwrap().pop()).flatten();
                let answer = match next {
                    Some(id) => c.post(&format!("/permintaan/{id}/setujui"), &[]).await.map(|a| (format!("POST setujui {id}"), a.status)),
                    None => c.get("/permintaan?page=1").await.map(|a| ("GET /permintaan".to_string(), a.status)),
                };
                match answer {
                    Ok(answer) => statuses.lock().unwrap().push(answer),
                    Err(_) if stopping.load(Ordering::Relaxed) => return,
                    Err(e) => panic!("request failed before the stop: {e}"),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stopping.store(true, Ordering::Relaxed);
    let exit = portal.terminate(Duration::from_secs(40)).await;
    for c in clients {
        c.await.unwrap();
    }
    let log = portal.log_text();
    assert!(exit.success(), "exit status {exit}:\n{log}");
    let statuses = statuses.lock().unwrap().clone();
    assert!(statuses.len() > 20, "the load ran: {statuses:?}");
    let failed: Vec<_> = statuses.iter().filter(|(_, s)| *s >= 500).collect();
    assert!(failed.is_empty(), "5xx during the shutdown: {failed:?}\n{log}");

    // Every approval's mail is in the outbox; none is held under a lease of
    // the stopped process.
    let approved = sifilma::models::_entities::personalization_requests::Entity::find()
        .filter(sifilma::models::_entities::personalization_requests::Column::Status.eq("approved"))
        .count(&ctx.db)
        .await
        .unwrap();
    assert!(approved > 0);
    let pending_at_stop = mail_outbox::Entity::find().filter(mail_outbox::Column::Status.eq(Status::Pending)).count(&ctx.db).await.unwrap();
    eprintln!("{} answers before the stop, {approved} approvals, {pending_at_stop} mails left pending at exit", statuses.len());
    let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
    let held = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.eq(Status::Pending))
        .filter(mail_outbox::Column::NextAttemptAt.gt(soon))
        .count(&ctx.db)
        .await
        .unwrap();
    assert_eq!(held, 0, "claims handed back at shutdown, not left to the 5-minute lease");

    // The next process sends every mail.
    let mut next = cluster.start();
    next.ready(Duration::from_secs(60)).await;
    eventually("every mail sent after the restart", Duration::from_secs(30), || async {
        let pending = mail_outbox::Entity::find().filter(mail_outbox::Column::Status.ne(Status::Sent)).count(&ctx.db).await.unwrap();
        (pending == 0).then_some(())
    })
    .await;
    let mails = mail_outbox::Entity::find().count(&ctx.db).await.unwrap();
    assert!(mails >= approved, "{mails} mails for {approved} approvals");
    let _ = Remote::new(&next.base);
}
