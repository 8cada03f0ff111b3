//! The recap on a fixture whose every figure was counted by hand
//! ([`recap_fixture`]): the card flow and its reconciliation, statuses,
//! stations, lead times in working days across a holiday and a weekend,
//! late submissions, and the scope of a producer and of an institution
//! inside a shared submission.
use chrono::NaiveDate;
use sifilma::models::reports::{Basis, Filter, Recap, Viewer};

use crate::support::{scenario::recap_fixture, with_db};

fn nov(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn count(list: &[sifilma::models::reports::StatusCount], code: &str) -> (i64, i64) {
    list.iter().find(|s| s.code == code).map(|s| (s.count, s.cards)).unwrap()
}

#[tokio::test]
async fn the_recap_of_november_matches_the_hand_count() {
    with_db(|ctx| async move {
        let fx = recap_fixture(&ctx).await;
        let r = Recap::compute(&ctx.db, Viewer::Everything, &Filter::month_of(nov(20)), nov(20)).await.unwrap();
        assert_eq!(r.period, "November 2026");

        // Approved and later: A 3 + B 2 + C 4 + E 2 + H 4 (D rejected, F
        // waiting, G in October); of them in a submission: A, B, E, H.
        let c = &r.cards;
        assert_eq!((c.requested, c.requested_submitted, c.listed), (15, 11, 11));
        assert_eq!((c.pending, c.clear, c.failed), (2, 7, 2));
        assert_eq!((c.clear_of_received, c.received), (6, 5));
        let checks: Vec<_> = r.checks.iter().map(|ch| (ch.expected, ch.actual, ch.difference, ch.flagged)).collect();
        assert_eq!(checks, [(11, 11, 0, false), (11, 9, -2, true), (6, 5, -1, true)]);
        let flagged: Vec<_> = r.mismatches.iter().map(|m| (m.number.as_str(), m.listed, m.clear, m.received)).collect();
        assert_eq!(flagged, [("470/B/2026", 2, 2, Some(1)), ("470/E/2026", 2, 1, Some(1))]);

        assert_eq!(count(&r.requests, "received"), (3, 7));
        assert_eq!(count(&r.requests, "approved"), (1, 4));
        assert_eq!(count(&r.requests, "rejected"), (1, 5));
        assert_eq!(count(&r.requests, "submitted"), (1, 1));
        assert_eq!(count(&r.requests, "in_progress"), (1, 4));
        assert_eq!(count(&r.submissions, "received"), (1, 7));
        assert_eq!(count(&r.submissions, "in_progress"), (1, 4));
        assert_eq!(count(&r.submissions, "new"), (0, 0));

        assert_eq!(r.months.len(), 1);
        assert_eq!((r.months[0].label.as_str(), r.months[0].pending, r.months[0].clear, r.months[0].failed), ("Nov 2026", 2, 7, 2));

        // ST-01: 6 Clear + 1 Failed on Fri 6 and Mon 9; ST-02: 1 + 1 on Fri 13.
        let st: Vec<_> = r.stations.iter().map(|s| (s.station_id, s.clear, s.failed, s.days)).collect();
        assert_eq!(st, [(fx.st01, 6, 1, 2), (fx.st02, 1, 1, 1)]);
        assert!((r.stations[0].failed_pct.unwrap() - 100.0 / 7.0).abs() < 1e-9);
        assert_eq!(r.stations[0].per_day, Some(3.5));
        assert_eq!(r.stations[1].failed_pct, Some(50.0));

        // Working days (Wed 4 is a holiday; 7–8 and 14–15 are weekends):
        // disposition Mon 2 → Thu 5 = 2 (Tue 3, Thu 5) and Tue 10 → Wed 11 = 1;
        // waiting Thu 5 → Fri 6 = 1 and Wed 11 → Fri 13 = 2;
        // personalization Fri 6 … Mon 9 = 2 (both counted);
        // hand-over Mon 9 → Thu 12 = 3; total Mon 2 … Thu 12 = 8.
        let stages: Vec<_> = r.stages.iter().map(|s| (s.label, s.ideal, s.count, s.mean, s.median, s.over_ideal)).collect();
        assert_eq!(
            stages,
            [
                ("Disposisi", 3, 2, Some(1.5), Some(1.5), 0),
                ("Menunggu jadwal", 1, 2, Some(1.5), Some(1.5), 1),
                ("Personalisasi", 1, 1, Some(2.0), Some(2.0), 1),
                ("Serah terima (BAST)", 3, 1, Some(3.0), Some(3.0), 0),
                ("Total proses", 8, 1, Some(8.0), Some(8.0), 0),
            ]
        );

        // SP/REKAP/2 is due Mon 16 and still running on Fri 20: 4 days late;
        // SP/REKAP/1 was due Fri 6 and finished Mon 9: 1 day late.
        assert_eq!(r.with_estimate, 2);
        let late: Vec<_> = r.late.iter().map(|l| (l.submission_id, l.days_late, l.finished)).collect();
        assert_eq!(late, [(fx.second, 4, None), (fx.first, 1, Some(nov(9)))]);
    })
    .await;
}

#[tokio::test]
async fn an_institution_counts_only_its_lines_and_a_producer_only_its_own() {
    with_db(|ctx| async move {
        let fx = recap_fixture(&ctx).await;
        let month = Filter::month_of(nov(20));
        // Bank XYZ's only line sits in SP/REKAP/1 with two lines of Bank ABC.
        let xyz = Recap::compute(&ctx.db, Viewer::Institution(fx.xyz), &month, nov(20)).await.unwrap();
        assert_eq!((xyz.cards.listed, xyz.cards.clear, xyz.cards.failed, xyz.cards.received), (2, 1, 1, 1));
        // Its submission shows only its own 2 cards, not the shared 7.
        let received = xyz.submissions.iter().find(|s| s.code == "received").map(|s| (s.count, s.cards));
        assert_eq!(received, Some((1, 2)));
        assert_eq!(xyz.mismatches.iter().map(|m| m.request_id).collect::<Vec<_>>(), [fx.e]);
        assert_eq!(xyz.stations.iter().map(|s| (s.clear, s.failed)).collect::<Vec<_>>(), [(1, 1)]);
        let abc = Recap::compute(&ctx.db, Viewer::Institution(fx.world.bank.organisation_id.unwrap()), &month, nov(20)).await.unwrap();
        assert_eq!((abc.cards.listed, abc.cards.clear, abc.cards.failed, abc.cards.pending), (9, 6, 1, 2));
        // PT Lain has only 470/F; the producer filter cannot widen a scope.
        let lain =
            Recap::compute(&ctx.db, Viewer::Producer(fx.world.other_producer.id), &Filter { producer: Some(fx.world.producer.id), ..month.clone() }, nov(20))
                .await
                .unwrap();
        assert_eq!((lain.cards.requested, lain.cards.listed), (0, 0));
        let lain = Recap::compute(&ctx.db, Viewer::Producer(fx.world.other_producer.id), &month, nov(20)).await.unwrap();
        assert_eq!(lain.requests.iter().map(|s| s.count).sum::<i64>(), 1);
    })
    .await;
}

#[tokio::test]
async fn filters_by_stage_date_station_and_status() {
    with_db(|ctx| async move {
        let fx = recap_fixture(&ctx).await;
        let month = Filter::month_of(nov(20));
        let at = |f: Filter| {
            let db = ctx.db.clone();
            async move { Recap::compute(&db, Viewer::Everything, &f, nov(20)).await.unwrap().cards }
        };
        // Handed over in November: only SP/REKAP/1's lines.
        assert_eq!(at(Filter { basis: Basis::HandedOver, ..month.clone() }).await.listed, 7);
        // Handed over on Mon 2 – Wed 11: none.
        assert_eq!(at(Filter { basis: Basis::HandedOver, to: nov(11), ..month.clone() }).await.listed, 0);
        // Accepted on Wed 11: SP/REKAP/2.
        assert_eq!(at(Filter { basis: Basis::Accepted, from: nov(11), to: nov(11), ..month.clone() }).await.listed, 4);
        // ST-02 ran 470/H: its two attempted cards (pending ones never ran).
        let st = at(Filter { station: Some(fx.st02), ..month.clone() }).await;
        assert_eq!((st.listed, st.clear, st.failed), (2, 1, 1));
        assert_eq!(at(Filter { status: Some(sifilma::models::requests::Status::Received), ..month.clone() }).await.listed, 7);
        assert_eq!(at(Filter { institution: Some(fx.xyz), ..month.clone() }).await.listed, 2);
        // October and November: 470/G (7, approved) joins the requested cards.
        assert_eq!(at(Filter { from: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), ..month }).await.requested, 22);
    })
    .await;
}

/// (filed, approved, rejected, withdrawn, waiting, readers filed, activated, revoked, active)
fn figures(c: &sifilma::models::reports::activations::Counts) -> [i64; 9] {
    [c.filed, c.approved, c.rejected, c.withdrawn, c.waiting, c.readers_filed, c.activated, c.revoked, c.active]
}

/// Sistem Aktivasi in the recap: requests by filing day (WIB), readers by
/// approval day, by institution and by province, on the hand count of
/// [`activation_recap_fixture`]; each role's scope and each filter.
#[tokio::test]
async fn activations_in_the_recap_match_the_hand_count() {
    use crate::support::activation_recap::activation_recap_fixture;
    with_db(|ctx| async move {
        let fx = activation_recap_fixture(&ctx).await;
        let month = Filter::month_of(nov(20));
        let at = |viewer: Viewer, f: Filter| {
            let db = ctx.db.clone();
            async move { Recap::compute(&db, viewer, &f, nov(20)).await.unwrap().activations }
        };
        let all = at(Viewer::Everything, month.clone()).await;
        // R1, R2, R4, R5, R6 and R7 (filed 30 Nov 23:30 WIB; R8 at 1 Dec 00:30 WIB is December's).
        assert_eq!(figures(&all.totals), [6, 2, 1, 1, 2, 10, 4, 1, 3]);
        let by_institution: Vec<_> = all.institutions.iter().map(|l| (l.name.as_str(), figures(&l.counts))).collect();
        assert_eq!(by_institution, [("Organisasi bank_abc", [4, 2, 0, 1, 1, 7, 4, 1, 3]), ("Organisasi bank_xyz", [2, 0, 1, 0, 1, 3, 0, 0, 0])]);
        // "jawa barat" and "Jawa Barat" are one province.
        let by_province: Vec<_> = all.provinces.iter().map(|l| (l.name.as_str(), figures(&l.counts)[5..].to_vec())).collect();
        assert_eq!(by_province, [("Banten", vec![2, 1, 0, 1]), ("DKI Jakarta", vec![3, 0, 0, 0]), ("Jawa Barat", vec![5, 3, 1, 2])]);

        // Scope: an institution its own readers, a producer what it filed.
        assert_eq!(figures(&at(Viewer::Institution(fx.abc), month.clone()).await.totals), [4, 2, 0, 1, 1, 7, 4, 1, 3]);
        let xyz = at(Viewer::Institution(fx.xyz), month.clone()).await;
        assert_eq!(figures(&xyz.totals), [2, 0, 1, 0, 1, 3, 0, 0, 0]);
        assert_eq!(xyz.institutions.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Organisasi bank_xyz"]);
        assert_eq!(xyz.provinces.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["DKI Jakarta"]);
        let nyra = at(Viewer::Producer(fx.world.producer.id), month.clone()).await;
        assert_eq!(figures(&nyra.totals), [2, 1, 0, 0, 1, 3, 0, 0, 0], "R2 and R6; R2's readers were activated in December");
        assert_eq!(figures(&at(Viewer::Producer(fx.world.other_producer.id), month.clone()).await.totals), [0; 9]);
        // A filter cannot widen a scope.
        let xyz_asks_abc = at(Viewer::Institution(fx.xyz), Filter { institution: Some(fx.abc), ..month.clone() }).await;
        assert_eq!(figures(&xyz_asks_abc.totals), [0; 9]);

        // Filters: province (any spelling), institution, producer as applicant, machine type.
        assert_eq!(figures(&at(Viewer::Everything, Filter { province: Some("banten".into()), ..month.clone() }).await.totals), [2, 1, 0, 0, 1, 2, 1, 0, 1]);
        assert_eq!(figures(&at(Viewer::Everything, Filter { institution: Some(fx.xyz), ..month.clone() }).await.totals), [2, 0, 1, 0, 1, 3, 0, 0, 0]);
        assert_eq!(
            figures(&at(Viewer::Everything, Filter { producer: Some(fx.world.producer.id), ..month.clone() }).await.totals),
            [2, 1, 0, 0, 1, 3, 0, 0, 0]
        );
        assert_eq!(figures(&at(Viewer::Everything, Filter { machine: Some(fx.world.machine.id + 1000), ..month.clone() }).await.totals), [0; 9]);
        assert_eq!(figures(&at(Viewer::Everything, Filter { machine: Some(fx.world.machine.id), ..month.clone() }).await.totals), [6, 2, 1, 1, 2, 10, 4, 1, 3]);
        // December: R8 filed; R2's two readers activated.
        let december = Filter::month_of(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(figures(&at(Viewer::Everything, december).await.totals), [1, 0, 0, 0, 1, 1, 2, 0, 2]);

        // The province choices: one spelling each, within the viewer's scope.
        let choices = sifilma::models::reports::Choices::load(&ctx.db, Viewer::Everything).await.unwrap();
        assert_eq!(choices.provinces, ["Banten", "DKI Jakarta", "Jawa Barat"]);
        let choices = sifilma::models::reports::Choices::load(&ctx.db, Viewer::Institution(fx.xyz)).await.unwrap();
        assert_eq!(choices.provinces, ["DKI Jakarta"]);
    })
    .await;
}
