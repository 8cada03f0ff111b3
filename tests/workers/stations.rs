//! Batches and station reports through the test command's Redis (Sidekiq job
//! format): the portal pushes, an in-process agent on simulated readers
//! personalizes, the portal's consumer applies the reports. Also: replayed
//! and malformed jobs, and a Redis restart in the middle of a run.
use std::{
    process::{Child, Command},
    time::Duration,
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sidekiq::redis_rs::{self, AsyncCommands};
use sifilma::{
    models::{
        _entities::{cards, perso_run_events},
        runs,
    },
    settings::StationSettings,
    station::{
        link,
        protocol::{CardResult, Outcome, Report},
        sim, vsam, Reader,
    },
    workers::stations::{Link, Stations},
};
use tokio_util::sync::CancellationToken;

use crate::support::{
    eventually, location, require_service,
    scenario::{accepted_submission, cards_of, expire_lease, serials_of, station},
    unescape, with_app, Client,
};

/// The test command's Redis (`None` after a loud note outside it; a failure
/// under `CI=true`).
fn redis_url() -> Option<String> {
    require_service("Redis", "SIFILMA_TEST_REDIS_URL")
}

fn quick_settings() -> StationSettings {
    StationSettings { lease_secs: 30, card_wait_ms: 1500, apdu_timeout_ms: 1000, ..StationSettings::default() }
}

/// Starts a simulated agent of `code`: `readers` readers fed from a hopper of
/// blank virtual cards with `serials`, `apdu_ms` per APDU.
fn agent(pool: &sidekiq::RedisPool, code: &str, serials: &[String], readers: usize, apdu_ms: u64, cancel: &CancellationToken) -> vsam::Hopper {
    let hopper = vsam::Hopper::new(serials.iter().map(|s| vsam::VirtualSam::new(s)));
    let feed = hopper.clone();
    let factory = std::sync::Arc::new(move |_: &sifilma::station::protocol::Batch| -> Vec<Box<dyn Reader>> {
        sim::sim_readers(readers, feed.clone(), Duration::from_millis(apdu_ms))
    });
    let processor = link::BatchWorker::new(pool.clone(), factory).processor(code);
    tokio::spawn(link::consume(processor, pool.clone(), cancel.clone()));
    hopper
}

async fn run_finished(ctx: &loco_rs::app::AppContext, submission: i32, within: Duration) -> runs::Model {
    eventually(&format!("the run of submission {submission} finished"), within, || async {
        let run = runs::Entity::find().filter(runs::Column::SubmissionId.eq(submission)).one(&ctx.db).await.unwrap();
        run.filter(|r| r.status == "finished")
    })
    .await
}

/// Waits until `n` cards left the feeder: a card is reported before it is
/// ejected, so the run may finish a moment before its last card leaves.
async fn settled(hopper: &vsam::Hopper, n: usize) {
    eventually(&format!("{n} cards out of the feeder"), Duration::from_secs(5), || async { (hopper.output().len() >= n).then_some(()) }).await;
}

/// Waits until at least one card of `submission` is clear.
async fn first_clear(ctx: &loco_rs::app::AppContext, submission: i32, within: Duration) {
    eventually("a first card personalized", within, || async {
        let clear = cards::Entity::find()
            .filter(cards::Column::SubmissionId.eq(submission))
            .filter(cards::Column::Status.eq("clear"))
            .all(&ctx.db)
            .await
            .unwrap()
            .len();
        (clear >= 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_batch_travels_through_redis_and_every_card_comes_back_once() {
    let Some(url) = redis_url() else { return };
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-R1", true).await;
        let ns = format!("t{}", uuid::Uuid::new_v4().simple());
        let pool = link::pool(&url, &ns).unwrap();
        let stations = Stations { link: Link::Redis(pool.clone()), settings: quick_settings() };
        ctx.shared_store.insert(stations.clone());

        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        let r = op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;
        assert_eq!(location(&r), format!("/personalisasi/{id}?ok=run-dimulai"));

        // The batch waits in the station's queue, in the Sidekiq job format,
        // carrying card data only.
        let client = redis_rs::Client::open(url.as_str()).unwrap();
        let mut raw = client.get_multiplexed_async_connection().await.unwrap();
        let jobs: Vec<String> = raw.lrange(format!("{ns}:queue:station:ST-R1"), 0, -1).await.unwrap();
        assert_eq!(jobs.len(), 1);
        let job: serde_json::Value = serde_json::from_str(&jobs[0]).unwrap();
        assert_eq!((job["class"].as_str(), job["queue"].as_str()), (Some("PersoBatch"), Some("station:ST-R1")));
        assert_eq!(job["args"][0]["cards"].as_array().unwrap().len(), 5);
        assert!(job["jid"].as_str().is_some_and(|j| !j.is_empty()) && job["retry"] == false);
        for secret in ["sqlite", "postgres", "password", "DATABASE"] {
            assert!(!jobs[0].contains(secret), "no database credentials in the batch");
        }

        let cancel = CancellationToken::new();
        let hopper = agent(&pool, "ST-R1", &serials_of(&ctx, id).await, 2, 1, &cancel);
        stations.start_consumer(&ctx.db, cancel.clone());
        let run = run_finished(&ctx, id, Duration::from_secs(20)).await;
        let done = cards_of(&ctx, id).await;
        assert!(done.iter().all(|c| c.status == "clear" && c.run_id == Some(run.id)), "{done:?}");
        settled(&hopper, done.len()).await;
        for c in &done {
            let out = hopper.output_of(&c.serial);
            assert_eq!(out.len(), 1, "{} left the feeder once", c.serial);
            assert_eq!((out[0].lock_count, out[0].locked), (1, true));
        }

        // Replayed, unknown and malformed reports change nothing.
        let replay = Report::Card(CardResult { run: i64::from(run.id), card: i64::from(done[0].id), serial: done[0].serial.clone(), reader: "SIM 09".into(), outcome: Outcome::Clear, rechecked: false, millis: 1, apdus: 1 });
        link::push_report(&pool, &replay).await.unwrap();
        link::push_report(&pool, &Report::Finished { run: 999_999, attempt: 1 }).await.unwrap();
        let malformed = serde_json::json!({"class": "StationReport", "queue": "portal", "args": [{"type": "card", "run": "x"}], "retry": false, "jid": "bad1", "created_at": 0.0, "enqueued_at": 0.0});
        let _: () = raw.lpush(format!("{ns}:queue:portal"), malformed.to_string()).await.unwrap();
        let _: () = raw.lpush(format!("{ns}:queue:portal"), "not json at all").await.unwrap();
        // Then a report that leaves a trace (a stray-card event; it touches
        // neither cards nor the finished run). The consumer takes the queue
        // in order, one job at a time: once the trace is there, every report
        // before it has been handled. A dead consumer fails here.
        let sentinel = Report::Stray { run: i64::from(run.id), reader: "SIM 09".into(), serial: "SENTINEL01".into() };
        link::push_report(&pool, &sentinel).await.unwrap();
        eventually("the consumer handled the reports up to the sentinel", Duration::from_secs(10), || async {
            let events = perso_run_events::Entity::find().filter(perso_run_events::Column::RunId.eq(run.id)).all(&ctx.db).await.unwrap();
            events.iter().any(|e| e.message.contains("SENTINEL01")).then_some(())
        })
        .await;
        // (The queue itself may hold a late heartbeat of the agent by now: a
        // heartbeat of a finished run is dropped, so it changes nothing either.)
        let after = cards_of(&ctx, id).await;
        assert_eq!(after, done, "nothing changed");
        assert_eq!(runs::Entity::find_by_id(run.id).one(&ctx.db).await.unwrap().unwrap(), run);
        cancel.cancel();
    })
    .await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Redis of the test's own, with the append-only file on, so it can be
/// stopped and started again mid-run.
struct OwnRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    fn start(port: u16, dir: &std::path::Path) -> Child {
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server")
    }

    async fn new() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("sifilma-redis-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Some(Self::start(port, &dir));
        let me = Self { port, dir, child };
        me.wait_up().await;
        me
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn wait_up(&self) {
        eventually(&format!("redis-server on port {}", self.port), Duration::from_secs(5), || async {
            std::net::TcpStream::connect(("127.0.0.1", self.port)).ok().map(drop)
        })
        .await;
    }

    /// SIGTERM (Redis flushes its append-only file and exits).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        self.child = Some(Self::start(self.port, &self.dir));
        self.wait_up().await;
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_redis_restart_mid_run_loses_and_doubles_nothing() {
    if redis_url().is_none() {
        return;
    }
    with_app(|server, ctx| async move {
        let mut redis = OwnRedis::new().await;
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-R2", true).await;
        let pool = link::pool(&redis.url(), "sifilma").unwrap();
        let stations = Stations { link: Link::Redis(pool.clone()), settings: quick_settings() };
        ctx.shared_store.insert(stations.clone());
        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;

        // One reader, 40 ms per APDU: the five cards take about two seconds.
        let cancel = CancellationToken::new();
        let hopper = agent(&pool, "ST-R2", &serials_of(&ctx, id).await, 1, 40, &cancel);
        stations.start_consumer(&ctx.db, cancel.clone());
        first_clear(&ctx, id, Duration::from_secs(15)).await;
        redis.stop();
        // Rule: the outage must outlast the consumer's retry pause (500 ms)
        // and the agent's reconnect, so both really meet a dead Redis;
        // nothing can be waited for, Redis being down is the point.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        redis.restart().await;

        run_finished(&ctx, id, Duration::from_secs(30)).await;
        let done = cards_of(&ctx, id).await;
        assert!(done.iter().all(|c| c.status == "clear"), "{done:?}");
        settled(&hopper, done.len()).await;
        for c in &done {
            let out = hopper.output_of(&c.serial);
            assert_eq!(out.len(), 1, "{} personalized once", c.serial);
            assert_eq!(out[0].lock_count, 1);
        }
        cancel.cancel();
    })
    .await;
}

#[tokio::test]
async fn an_offline_station_gets_one_batch_not_one_per_lease() {
    let Some(url) = redis_url() else { return };
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-OFF1", true).await;
        let ns = format!("t{}", uuid::Uuid::new_v4().simple());
        let pool = link::pool(&url, &ns).unwrap();
        let stations = Stations { link: Link::Redis(pool.clone()), settings: quick_settings() };
        ctx.shared_store.insert(stations.clone());
        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;
        let client = redis_rs::Client::open(url.as_str()).unwrap();
        let mut raw = client.get_multiplexed_async_connection().await.unwrap();
        let key = format!("{ns}:queue:station:ST-OFF1");

        // No agent takes the batch: the lease expires, the run is reclaimed,
        // but the queue keeps a single batch.
        let run = runs::Entity::find().filter(runs::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap();
        assert!(stations.sweep(&ctx.db).await.unwrap() == 0, "the lease still holds");
        expire_lease(&ctx, run.id).await;
        assert_eq!(stations.sweep(&ctx.db).await.unwrap(), 1, "the expired run is reclaimed");
        let waiting: usize = raw.llen(&key).await.unwrap();
        assert_eq!(waiting, 1, "still one batch");
        let page = op.get(&format!("/personalisasi/{id}")).await;
        assert_eq!(page.status_code(), 200);
        assert!(unescape(&page.text()).contains("menunggu stasiun mengambil batch"), "the page says the station has not answered");
        let run = runs::Entity::find().filter(runs::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap();
        assert_eq!(run.attempt, 2, "the reclaim is recorded");

        // The batch was lost (taken by an agent that died): the next reclaim sends it again.
        let _: Option<String> = raw.rpop(&key, None).await.unwrap();
        expire_lease(&ctx, run.id).await;
        assert_eq!(stations.sweep(&ctx.db).await.unwrap(), 1);
        let jobs: Vec<String> = raw.lrange(&key, 0, -1).await.unwrap();
        assert_eq!(jobs.len(), 1);
        let job: serde_json::Value = serde_json::from_str(&jobs[0]).unwrap();
        assert_eq!((job["args"][0]["run"].as_i64(), job["args"][0]["attempt"].as_u64()), (Some(i64::from(run.id)), Some(3)));
        assert_eq!(job["args"][0]["cards"].as_array().unwrap().len(), 5);
    })
    .await;
}
