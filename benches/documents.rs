//! Hand-over document benchmark: time to build one BAST (.docx), one Surat
//! Balasan (.docx, 10 lines) and one card list (.xlsx, 10,000 cards), mean
//! and median over repeated builds, against the goals (release build):
//! BAST ≤ 20 ms, 10,000-row list ≤ 200 ms.
//! Run: `cargo bench --bench documents`.
use std::time::{Duration, Instant};

use sifilma::models::documents::{bast_docx, card_list_xlsx, reply_docx, ListRow, ReplyLine};

#[path = "../tests/support/sample_documents.rs"]
mod sample_documents;
use sample_documents::{sample_bast, sample_reply, ymd};

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
    let bast = sample_bast();
    let mut reply = sample_reply();
    reply.lines = (1..=10)
        .map(|i| ReplyLine {
            institution: format!("Lembaga Pengguna {i}"),
            request_number: format!("470/{i:03}/X/2026"),
            request_date: ymd(2026, 10, i),
            requested: 100 * u64::from(i),
            clear: 100 * u64::from(i) - 1,
        })
        .collect();
    let rows: Vec<ListRow> = (0..10_000)
        .map(|i| ListRow {
            serial: format!("0SAM{i:010}"),
            manifest: format!("MNF-2026-{:05}", i / 100),
            pcid: format!("PCID{i:08X}"),
            note: if i % 50 == 0 { "kartu cadangan".into() } else { String::new() },
        })
        .collect();

    println!("Hand-over documents ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    let (_, bast_median) = measure("BAST (.docx)", 200, || bast_docx(&bast).unwrap().len());
    measure("Surat Balasan (.docx, 10 lines)", 200, || reply_docx(&reply).unwrap().len());
    let (_, list_median) = measure("Card list (.xlsx, 10,000 rows)", 20, || card_list_xlsx("PT Nyra", "Bank ABC", &rows, &bast.verify_url).unwrap().len());
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!("goal BAST ≤ 20 ms: {}; goal 10,000-row list ≤ 200 ms: {}", verdict(bast_median <= 20.0), verdict(list_median <= 200.0));
}
