//! Demo data for the README's start command: one account per role and the
//! master data the chain needs. Never runs in production (see `App::after_context`).
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

use super::{
    _entities::{holidays, machine_types, officials, organisations, personalization_requests, stations, users},
    errors::AppResult,
    requests::Status as RequestStatus,
    users::{hash_password, Model as User, Status as UserStatus},
};

/// A one-page PDF used as the demo requests' letter.
const DEMO_LETTER: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

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
pub async fn seed(db: &DatabaseConnection, upload_dir: &str) -> AppResult<()> {
    if User::find_by_username(db, "admin_pusat").await?.is_some() {
        return Ok(());
    }
    let hash = crate::models::heavy::run(|| hash_password(DEMO_PASSWORD)).await.map_err(|e| super::AppError::Internal(e.to_string()))?;
    let now = Utc::now();
    let txn = crate::models::begin_write(db).await?;
    let orgs = [
        ("Ditjen Dukcapil Kemendagri", "pusat", None),
        ("PT Nyra", "produsen", Some(("Andi Pratama", "Direktur Operasional", "Jl. Gatot Subroto Kav. 21, Jakarta Selatan"))),
        ("Bank ABC", "lembaga", None),
        ("Dinas Dukcapil Kota Bandung", "dukcapil_kota", None),
    ];
    let letter = super::uploads::store(upload_dir, super::requests::FILE_AREA, DEMO_LETTER).await?;
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
    let mut user_ids = Vec::new();
    for (username, name, role, org) in ACCOUNTS {
        let user = users::ActiveModel {
            username: Set(username.to_string()),
            password_hash: Set(hash.clone()),
            name: Set(name.to_string()),
            email: Set(format!("{username}@demo.sifilma.local")),
            role: Set(role.to_string()),
            organisation_id: Set(Some(org_ids[org])),
            status: Set(UserStatus::Active),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        user_ids.push(user.id);
    }
    let machine = machine_types::ActiveModel {
        name: Set("Type IdGlobalScan GSX-01".to_string()),
        description: Set(Some("Pembaca KTP-el meja".to_string())),
        active: Set(true),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Two requests of Bank ABC to PT Nyra: one waiting, one approved.
    for (number, title, qty, status, day) in [
        ("470/101/BANK-ABC/XI/2026", "Kartu SAM untuk kantor cabang Jawa Barat", 100, RequestStatus::Submitted, 20),
        ("470/087/BANK-ABC/X/2026", "Kartu SAM untuk kantor pusat", 250, RequestStatus::Approved, 28),
    ] {
        personalization_requests::ActiveModel {
            organisation_id: Set(org_ids[2]),
            producer_id: Set(org_ids[1]),
            machine_type_id: Set(machine.id),
            created_by: Set(user_ids[3]),
            number: Set(number.to_string()),
            title: Set(title.to_string()),
            search_text: Set(super::requests::search_text(number, title, "Bank ABC")),
            request_date: Set(NaiveDate::from_ymd_opt(2026, if status == RequestStatus::Approved { 10 } else { 11 }, day).expect("valid date")),
            quantity: Set(qty),
            remarks: Set(None),
            file_key: Set(letter.clone()),
            file_kind: Set("pdf".to_string()),
            file_name: Set("surat-permintaan.pdf".to_string()),
            file_size: Set(i32::try_from(DEMO_LETTER.len()).unwrap_or(0)),
            status: Set(status),
            decided_at: Set((status == RequestStatus::Approved).then(|| now.into())),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
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
    let station = stations::ActiveModel {
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
    // The demo operator runs the demo station.
    super::stations::operators::ActiveModel { station_id: Set(station.id), user_id: Set(user_ids[1]), created_at: Set(now.into()), ..Default::default() }
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
