//! Sample hand-over document data shared by the document tests and the
//! document benchmark (`benches/documents.rs` includes this file by path).
#![allow(dead_code)]

use chrono::NaiveDate;
use sifilma::models::documents::{ActivationReply, ActivationReplyLine, Bast, Party, Reply, ReplyLine};

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub const VERIFY_URL: &str = "https://sifilma.dukcapil.example/verifikasi?nomor=SAM-2026-00001&kode=7K3Q-9XWD";

pub fn official() -> Party {
    Party {
        name: "Ir. Gunawan, MA".into(),
        position: "Direktur Fasilitas Pemanfaatan Data dan Dokumen Kependudukan".into(),
        office_address: "Jl. Raya Pasar Minggu Km. 19, Jakarta Selatan 12072".into(),
    }
}

pub fn pic() -> Party {
    Party {
        name: "Maqbool".into(),
        position: "PIC Produsen".into(),
        office_address: "Thamrin Residence Ruko C19/H2, Jl. Thamrin Boulevard, Kebon Melati, Tanah Abang, Jakarta Pusat 10230".into(),
    }
}

pub fn sample_bast() -> Bast {
    Bast {
        number: "SAM-2026-00001".into(),
        date: ymd(2026, 11, 25),
        producer: "PT Nyra".into(),
        first: official(),
        second: pic(),
        institution: "Bank ABC".into(),
        letter_number: "470/123/BABC/X/2026".into(),
        letter_date: ymd(2026, 10, 7),
        letter_subject: "Permohonan Personalisasi Kartu SAM".into(),
        quantity: 100,
        machine_type: "Type IdGlobalScan GSX-01".into(),
        verify_url: VERIFY_URL.into(),
        verify_code: "7K3Q-9XWD".into(),
    }
}

pub fn sample_reply() -> Reply {
    Reply {
        number: "BLS-2026-00007".into(),
        date: ymd(2026, 11, 25),
        producer: "PT Nyra".into(),
        producer_address: "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230".into(),
        recipient: pic(),
        signer: official(),
        submission_number: "NYRA/SAM/2026/041".into(),
        submission_date: ymd(2026, 11, 2),
        ticket: "TKT-8H2M5Q".into(),
        lines: vec![
            ReplyLine {
                institution: "Bank ABC".into(),
                request_number: "470/123/BABC/X/2026".into(),
                request_date: ymd(2026, 10, 7),
                requested: 100,
                clear: 98,
            },
            ReplyLine {
                institution: "PT Inti Persero".into(),
                request_number: "INTI-002".into(),
                request_date: ymd(2026, 10, 9),
                requested: 1_250,
                clear: 1_250,
            },
        ],
        verify_url: "https://sifilma.dukcapil.example/verifikasi?nomor=BLS-2026-00007&kode=Q2W4-E6R8".into(),
        verify_code: "Q2W4-E6R8".into(),
    }
}

/// PT Nyra's Permohonan Aktivasi for two readers of Bank ABC, approved.
pub fn sample_activation_reply() -> ActivationReply {
    let line = |n: usize, serial: &str, sam: &str, region: &str| ActivationReplyLine {
        reader_type: "Type IdGlobalScan GSX-01".into(),
        reader_serial: serial.into(),
        sam_serial: sam.into(),
        perso_number: format!("PRS-2026-{n:08}"),
        region: region.into(),
        activation_number: format!("AKT-2026-00003-{n:04}"),
        valid_until: ymd(2027, 11, 24),
    };
    ActivationReply {
        number: "AKT-2026-00003".into(),
        date: ymd(2026, 11, 25),
        applicant: "PT Nyra".into(),
        applicant_address: "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230".into(),
        institution: "Bank ABC".into(),
        letter_number: "NYRA/AKT/2026/007".into(),
        letter_date: ymd(2026, 11, 20),
        signer: official(),
        lines: vec![
            line(1, "CR-7731-0042", "0SAM00000001", "Jawa Barat / Kota Bandung"),
            line(2, "CR-7731-0043", "0SAM00000002", "DKI Jakarta / Jakarta Selatan"),
        ],
        verify_url: "https://sifilma.dukcapil.example/verifikasi?nomor=AKT-2026-00003&kode=M3N5-P7Q9".into(),
        verify_code: "M3N5-P7Q9".into(),
    }
}
