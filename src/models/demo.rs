//! Demo data for the README's start command: one account per role and the
//! master data the chain needs. Never runs in production (see `App::after_context`).
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, TransactionTrait};

use super::{
    _entities::{holidays, machine_types, officials, organisations, stations, users},
    errors::AppResult,
    users::{hash_password, Model as User, STATUS_ACTIVE},
};

/// The password of every demo account (documented in the README).
pub const DEMO_PASSWORD: &str = "Demo-Sifilma-2026";

/// (username, name, role, organisation index)
const ACCOUNTS: [(&str, &str, &str, usize); 5] = [
    ("admin_pusat", "Admin Dukcapil Pusat", "admin", 0),
    ("operator_dc", "Operator Data Center", "operator", 0),
    ("pt_nyra", "PT Nyra", "produsen", 1),
    ("bank_abc", "Bank ABC", "lembaga", 2),
    ("dukcapil_bandung", "Dukcapil Kota Bandung", "dukcapil_kota", 3),
];

/// Seeds once: does nothing when `admin_pusat` already exists.
///
/// # Errors
/// On database failure.
pub async fn seed(db: &DatabaseConnection) -> AppResult<()> {
    if User::find_by_username(db, "admin_pusat").await?.is_some() {
        return Ok(());
    }
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| super::AppError::Internal(e.to_string()))?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let orgs = [
        ("Ditjen Dukcapil Kemendagri", "pusat", None),
        ("PT Nyra", "produsen", Some(("Andi Pratama", "Direktur Operasional", "Jl. Gatot Subroto Kav. 21, Jakarta Selatan"))),
        ("Bank ABC", "lembaga", None),
        ("Dinas Dukcapil Kota Bandung", "dukcapil_kota", None),
    ];
    let mut org_ids = Vec::new();
    for (name, kind, pic) in orgs {
        let org = organisations::ActiveModel {
            name: Set(name.to_string()),
            kind: Set(kind.to_string()),
            address: Set(Some("Jl. Medan Merdeka Utara No. 7, Jakarta Pusat".to_string()).filter(|_| kind == "pusat")),
            pic_name: Set(pic.map(|p| p.0.to_string())),
            pic_position: Set(pic.map(|p| p.1.to_string())),
            pic_address: Set(pic.map(|p| p.2.to_string())),
            active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        org_ids.push(org.id);
    }
    for (username, name, role, org) in ACCOUNTS {
        users::ActiveModel {
            username: Set(username.to_string()),
            password_hash: Set(hash.clone()),
            name: Set(name.to_string()),
            email: Set(format!("{username}@demo.sifilma.local")),
            role: Set(role.to_string()),
            organisation_id: Set(Some(org_ids[org])),
            status: Set(STATUS_ACTIVE.to_string()),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    machine_types::ActiveModel {
        name: Set("Type IdGlobalScan GSX-01".to_string()),
        description: Set(Some("Pembaca KTP-el meja".to_string())),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    officials::ActiveModel {
        name: Set("Dr. Budi Santoso, S.H., M.Si.".to_string()),
        nip: Set(Some("197001012000031001".to_string())),
        position: Set("Direktur Pengelolaan Informasi Administrasi Kependudukan".to_string()),
        office_address: Set("Jl. Medan Merdeka Utara No. 7, Jakarta Pusat".to_string()),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    stations::ActiveModel {
        code: Set("DC-01".to_string()),
        name: Set("Stasiun Personalisasi Data Center 1".to_string()),
        readers: Set(4),
        capacity_per_day: Set(super::stations::DEFAULT_CAPACITY),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (date, name) in [((2026, 12, 25), "Hari Raya Natal"), ((2026, 12, 24), "Cuti Bersama Natal"), ((2027, 1, 1), "Tahun Baru 2027 Masehi")] {
        holidays::ActiveModel {
            date: Set(NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("valid date")),
            name: Set(name.to_string()),
            active: Set(true),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    tracing::info!("demo accounts seeded: {}", ACCOUNTS.map(|a| a.0).join(", "));
    Ok(())
}
