//! Hand-over document benchmark: time to build one BAST (.docx), one Surat
//! Balasan (.docx, 10 lines) and one card list (.xlsx, 10,000 cards), mean
//! and median over repeated builds, against the goals (release build):
//! BAST ≤ 20 ms, 10,000-row list ≤ 200 ms.
//! Run: `cargo bench --bench documents`.
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sifilma::models::documents::{bast_docx, card_list_xlsx, reply_docx, Bast, ListRow, Party, Reply, ReplyLine};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn official() -> Party {
    Party {
        name: "Ir. Gunawan, MA".into(),
        position: "Direktur Fasilitas Pemanfaatan Data dan Dokumen Kependudukan".into(),
        office_address: "Jl. Raya Pasar Minggu Km. 19, Jakarta Selatan 12072".into(),
    }
}

fn pic() -> Party {
    Party { name: "Maqbool".into(), position: "PIC Produsen".into(), office_address: "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230".into() }
}

/// Builds `make` `n` times; prints and returns (mean, median) in milliseconds.
fn measure(label: &str, n: usize, mut make: impl FnMut() -> usize) -> (f64, f64) {
    let mut bytes = make(); // warm-up
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        bytes = std::hint::black_box(make());
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / n as f64;
    let median = ms(times[n / 2]);
    println!("{label:<36} n={n:<4} mean {mean:8.2} ms  median {median:8.2} ms  max {:8.2} ms  size {:>7} B", ms(times[n - 1]), bytes);
    (mean, median)
}

fn main() {
    let bast = Bast {
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
        verify_url: "https://sifilma.dukcapil.example/verifikasi?nomor=SAM-2026-00001&kode=7K3Q-9XWD".into(),
        verify_code: "7K3Q-9XWD".into(),
    };
    let reply = Reply {
        number: "BLS-2026-00007".into(),
        date: ymd(2026, 11, 25),
        producer: "PT Nyra".into(),
        producer_address: "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230".into(),
        recipient: pic(),
        signer: official(),
        submission_number: "NYRA/SAM/2026/041".into(),
        submission_date: ymd(2026, 11, 2),
        ticket: "TKT-8H2M5Q".into(),
        lines: (1..=10)
            .map(|i| ReplyLine { institution: format!("Lembaga Pengguna {i}"), request_number: format!("470/{i:03}/X/2026"), request_date: ymd(2026, 10, i), requested: 100 * u64::from(i), clear: 100 * u64::from(i) - 1 })
            .collect(),
        verify_url: "https://sifilma.dukcapil.example/verifikasi?nomor=BLS-2026-00007&kode=Q2W4-E6R8".into(),
        verify_code: "Q2W4-E6R8".into(),
    };
    let rows: Vec<ListRow> = (0..10_000)
        .map(|i| ListRow { serial: format!("0SAM{i:010}"), manifest: format!("MNF-2026-{:05}", i / 100), pcid: format!("PCID{i:08X}"), note: if i % 50 == 0 { "kartu cadangan".into() } else { String::new() } })
        .collect();

    println!("Hand-over documents ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    let (_, bast_median) = measure("BAST (.docx)", 200, || bast_docx(&bast).unwrap().len());
    measure("Surat Balasan (.docx, 10 lines)", 200, || reply_docx(&reply).unwrap().len());
    let (_, list_median) = measure("Card list (.xlsx, 10,000 rows)", 20, || card_list_xlsx("PT Nyra", "Bank ABC", &rows, &bast.verify_url).unwrap().len());
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("goal BAST ≤ 20 ms: {}; goal 10,000-row list ≤ 200 ms: {}", verdict(bast_median <= 20.0), verdict(list_median <= 200.0));
}
