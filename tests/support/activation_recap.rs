//! Sistem Aktivasi's part of the recap, counted by hand (times in WIB).
//! Bank ABC = A, Bank XYZ = X, PT Nyra = N:
//!
//! | request | filed by → for | filed | status | readers (province, status, activated) |
//! |---|---|---|---|---|
//! | AKT/R1 | A → A | 3 Nov 10:00 | approved | Jawa Barat active 5 Nov; Jawa Barat revoked (activated 5 Nov); Banten active 5 Nov |
//! | AKT/R2 | N → A | 10 Nov | approved | 2 × "jawa barat" active 2 Dec |
//! | AKT/R3 | A → A | 28 Oct | approved | Jawa Barat active 2 Nov |
//! | AKT/R4 | X → X | 12 Nov | rejected | 2 × DKI Jakarta void |
//! | AKT/R5 | A → A | 15 Nov | withdrawn | Jawa Barat void |
//! | AKT/R6 | N → X | 20 Nov | new | DKI Jakarta pending |
//! | AKT/R7 | A → A | 30 Nov 23:30 | new | Banten pending |
//! | AKT/R8 | A → A | 1 Dec 00:30 | new | Banten pending |
//!
//! November, everything: filed 6 (approved 2, rejected 1, withdrawn 1,
//! waiting 2), their readers 10; activated 4 (R1's three, R3's one), of
//! which revoked 1, active 3.
use chrono::{NaiveDate, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use sifilma::models::_entities::{activation_readers, activation_requests};

use super::scenario::{user, world, World};

pub struct ActivationFixture {
    pub world: World,
    pub abc: i32,
    pub xyz: i32,
}

/// A WIB time in 2026 as stored (UTC).
pub fn wib(month: u32, day: u32, hour: u32, minute: u32) -> sea_orm::prelude::DateTimeWithTimeZone {
    let utc = NaiveDate::from_ymd_opt(2026, month, day).unwrap().and_hms_opt(hour, minute, 0).unwrap() - chrono::Duration::hours(7);
    chrono::DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc).into()
}

pub async fn activation_recap_fixture(ctx: &AppContext) -> ActivationFixture {
    let w = world(ctx).await;
    let (bank, xyz, nyra) = (user(ctx, "bank_abc").await, user(ctx, "bank_xyz").await, user(ctx, "pt_nyra").await);
    let (a, x) = (bank.organisation_id.unwrap(), xyz.organisation_id.unwrap());
    let mut serial = 0;
    // (letter, filer, institution, filed, status, [(province, reader status, activated)])
    type Line = (&'static str, &'static str, Option<sea_orm::prelude::DateTimeWithTimeZone>);
    let requests: [(&str, &sifilma::models::_entities::users::Model, i32, _, &str, Vec<Line>); 8] = [
        (
            "AKT/R1",
            &bank,
            a,
            wib(11, 3, 10, 0),
            "approved",
            vec![
                ("Jawa Barat", "active", Some(wib(11, 5, 9, 0))),
                ("Jawa Barat", "revoked", Some(wib(11, 5, 9, 0))),
                ("Banten", "active", Some(wib(11, 5, 9, 0))),
            ],
        ),
        (
            "AKT/R2",
            &nyra,
            a,
            wib(11, 10, 9, 0),
            "approved",
            vec![("jawa barat", "active", Some(wib(12, 2, 9, 0))), ("jawa barat", "active", Some(wib(12, 2, 9, 0)))],
        ),
        ("AKT/R3", &bank, a, wib(10, 28, 9, 0), "approved", vec![("Jawa Barat", "active", Some(wib(11, 2, 9, 0)))]),
        ("AKT/R4", &xyz, x, wib(11, 12, 9, 0), "rejected", vec![("DKI Jakarta", "void", None), ("DKI Jakarta", "void", None)]),
        ("AKT/R5", &bank, a, wib(11, 15, 9, 0), "withdrawn", vec![("Jawa Barat", "void", None)]),
        ("AKT/R6", &nyra, x, wib(11, 20, 9, 0), "new", vec![("DKI Jakarta", "pending", None)]),
        ("AKT/R7", &bank, a, wib(11, 30, 23, 30), "new", vec![("Banten", "pending", None)]),
        ("AKT/R8", &bank, a, wib(12, 1, 0, 30), "new", vec![("Banten", "pending", None)]),
    ];
    for (letter, by, institution, filed, status, lines) in requests {
        let r = activation_requests::ActiveModel {
            applicant_id: Set(by.organisation_id.unwrap()),
            institution_id: Set(institution),
            created_by: Set(by.id),
            letter_number: Set(letter.into()),
            letter_date: Set(filed.date_naive()),
            file_key: Set("0".repeat(32)),
            file_kind: Set("pdf".into()),
            file_name: Set("surat.pdf".into()),
            file_size: Set(10),
            status: Set(status.into()),
            created_at: Set(filed),
            updated_at: Set(filed),
            ..Default::default()
        }
        .insert(&ctx.db)
        .await
        .unwrap();
        for (row, (province, st, activated)) in lines.into_iter().enumerate() {
            serial += 1;
            let binds = matches!(st, "pending" | "active");
            activation_readers::ActiveModel {
                request_id: Set(r.id),
                row_no: Set(i32::try_from(row).unwrap() + 1),
                machine_type_id: Set(w.machine.id),
                reader_serial: Set(format!("CR-REKAP-{serial:02}")),
                sam_serial: Set(format!("0SAMREKAP{serial:03}")),
                perso_number: Set(format!("PN-{serial}")),
                card_id: Set(1),
                province: Set(province.into()),
                city: Set("Kota Uji".into()),
                status: Set(st.into()),
                live_sam: Set(binds.then(|| format!("0SAMREKAP{serial:03}"))),
                live_reader: Set(binds.then(|| format!("CR-REKAP-{serial:02}"))),
                activation_number: Set(activated.map(|_| format!("AKT-2026-REKAP-{serial:02}"))),
                valid_from: Set(activated.map(|t| t.date_naive())),
                issued_at: Set(activated),
                revoked_on: Set((st == "revoked").then(|| NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())),
                revoke_reason: Set((st == "revoked").then(|| "Hilang".to_string())),
                created_at: Set(filed),
                ..Default::default()
            }
            .insert(&ctx.db)
            .await
            .unwrap();
        }
    }
    ActivationFixture { world: w, abc: a, xyz: x }
}
