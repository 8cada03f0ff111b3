//! The `sifilma-agent` binary against the portal through Redis and pcscd:
//! killed with SIGKILL in the middle of a batch and started again, its run is
//! reclaimed after the lease and every card ends clear, none lost, none
//! personalized twice (the card in the reader is read back, not rewritten).
use std::{process::Command, time::Duration};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sifilma::{
    models::{_entities::audit_events, runs},
    settings::StationSettings,
    station::{
        link,
        vpcd::VirtualReader,
        vsam::{Hopper, Slot, VirtualSam},
    },
    workers::stations::{Link, Stations},
};
use tokio_util::sync::CancellationToken;

use crate::support::{
    eventually, require_service,
    scenario::{accepted_submission, cards_of, serials_of, station},
    with_app, Client,
};

fn spawn_agent(url: &str, ns: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sifilma-agent"))
        .env("STATION_REDIS_URL", url)
        .env("STATION_NAMESPACE", ns)
        .env("STATION_CODE", "ST-KILL")
        .env("STATION_READERS", "VPCD-A")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start sifilma-agent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_agent_loses_no_card_and_personalizes_none_twice() {
    let Some(_rig) = super::rig() else { return };
    let Some(url) = require_service("Redis", "SIFILMA_TEST_REDIS_URL") else { return };
    with_app(|server, ctx| async move {
        let id = accepted_submission(&server, &ctx).await;
        let st = station(&ctx, "ST-KILL", true).await;
        let ns = format!("t{}", uuid::Uuid::new_v4().simple());
        let pool = link::pool(&url, &ns).unwrap();
        let settings = StationSettings { lease_secs: 3, card_wait_ms: 8_000, apdu_timeout_ms: 3_000, ..StationSettings::default() };
        let stations = Stations { link: Link::Redis(pool.clone()), settings };
        ctx.shared_store.insert(stations.clone());
        let mut op = Client::signed_in(&server, "operator_dc").await;
        op.post(&format!("/personalisasi/{id}/generate"), &[]).await;
        op.post(&format!("/personalisasi/{id}/run"), &[("station", &st.to_string())]).await;

        // Two readers (VPCD-A 00 00 / 00 01) fed from one hopper, 60 ms per APDU.
        let serials = serials_of(&ctx, id).await;
        let hopper = Hopper::new(serials.iter().map(|s| VirtualSam::new(s)));
        let plugged: Vec<_> = (0..2).map(|i| VirtualReader::rig(i).plug(Slot::new(hopper.clone(), Duration::from_millis(60)))).collect();

        let cancel = CancellationToken::new();
        stations.start_consumer(&ctx.db, cancel.clone());
        stations.start_sweeper(&ctx.db, cancel.clone());
        let mut agent = spawn_agent(&url, &ns);
        eventually("a card personalized before the kill", Duration::from_secs(30), || async {
            cards_of(&ctx, id).await.iter().any(|c| c.status == "clear").then_some(())
        })
        .await;
        // Mid-batch: other cards are in the readers, some half written. Rule:
        // the kill must land while APDUs are in flight (60 ms each, about 20
        // per card), which no state the test can see marks; 250 ms is a few
        // APDUs into the next cards. The assertion below proves the kill did
        // come before the end of the batch.
        tokio::time::sleep(Duration::from_millis(250)).await;
        agent.kill().expect("SIGKILL the agent");
        agent.wait().unwrap();
        let pending_at_kill = cards_of(&ctx, id).await.iter().filter(|c| c.status == "pending").count();
        assert!(pending_at_kill > 0, "the kill came before the end of the batch");
        let mut agent = spawn_agent(&url, &ns);

        let run = eventually("the run finished after the restart", Duration::from_secs(60), || async {
            let run = runs::Entity::find().filter(runs::Column::SubmissionId.eq(id)).one(&ctx.db).await.unwrap().unwrap();
            (run.status == "finished").then_some(run)
        })
        .await;
        agent.kill().ok();
        agent.wait().ok();
        cancel.cancel();
        for p in plugged {
            drop(p.stop());
        }

        assert!(run.attempt >= 2, "the run was reclaimed after the lease");
        assert!(audit_events::Entity::find().filter(audit_events::Column::Action.eq("perso.run_reclaimed")).one(&ctx.db).await.unwrap().is_some());
        let done = cards_of(&ctx, id).await;
        assert!(done.iter().all(|c| c.status == "clear"), "none lost: {done:?}");
        for s in &serials {
            let out = hopper.output_of(s);
            assert_eq!(out.len(), 1, "{s} left the feeder once");
            assert_eq!((out[0].lock_count, out[0].refused_after_lock), (1, 0), "{s} locked once, never written after lock");
        }
    })
    .await;
}
