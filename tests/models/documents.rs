//! Hand-over documents (BAST, Surat Balasan, card list): the Indonesian words
//! they use, the package contents, and a round trip through LibreOffice,
//! python-docx and openpyxl.
use std::{
    io::{Cursor, Read},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use calamine::{Data, Reader, Xlsx};
use qrcode::{Color, EcLevel, QrCode};
use serde_json::Value;
use sifilma::{
    locale,
    models::{
        activations::readers_xlsx::{readers_xlsx, ListHeading, ReaderRow, READERS_HEADERS, READERS_HEADER_ROW, READERS_SHEET},
        documents::{
            activation_reply_docx, activation_reply_opening, bast_docx, bast_handover, bast_opening, card_list_xlsx, qr_png, reply_docx, DocumentError,
            ListRow, LIST_HEADERS, LIST_SHEET, QR_MODULE_PX, QR_QUIET_ZONE,
        },
    },
};

use crate::support::{
    poll_blocking, require_program,
    sample_documents::{sample_activation_reply, sample_bast, sample_reply, ymd, VERIFY_URL},
};

/// Card rows whose values a spreadsheet would otherwise take for formulas or numbers.
fn sample_rows() -> Vec<ListRow> {
    let row = |serial: &str, manifest: &str, pcid: &str, note: &str| ListRow {
        serial: serial.into(),
        manifest: manifest.into(),
        pcid: pcid.into(),
        note: note.into(),
    };
    vec![row("=1+1", "MNF-0001", "PCID-01", ""), row("0012345678", "+62812", "-5", "@SUM(A1:A2)"), row("SAM0000000003", "MNF-0003", "00042", "kartu cadangan")]
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip package");
    let mut entry = archive.by_name(name).unwrap_or_else(|_| panic!("{name} in the package"));
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    text
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip package");
    archive.file_names().map(String::from).collect()
}

/// Whitespace runs collapsed to one space, so wrapped lines compare as sentences.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_has(haystack: &str, needles: &[&str], what: &str) {
    for n in needles {
        assert!(haystack.contains(n), "{what} lacks {n:?}:\n{haystack}");
    }
}

#[test]
fn documents_words_for_dates_and_quantities() {
    assert_eq!(locale::date_in_words(ymd(2000, 1, 1)), "Sabtu tanggal Satu bulan Januari tahun Dua Ribu");
    assert_eq!(locale::date_in_words(ymd(2026, 12, 31)), "Kamis tanggal Tiga Puluh Satu bulan Desember tahun Dua Ribu Dua Puluh Enam");
    assert_eq!(locale::date_in_words(ymd(2026, 11, 25)), "Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu Dua Puluh Enam");
    assert_eq!(locale::date_in_words(ymd(2019, 10, 8)), "Selasa tanggal Delapan bulan Oktober tahun Dua Ribu Sembilan Belas");
    assert_eq!(locale::date_in_words(ymd(2031, 2, 11)), "Selasa tanggal Sebelas bulan Februari tahun Dua Ribu Tiga Puluh Satu");
    assert_eq!(locale::title_case_words(&locale::number_in_words(2026)), "Dua Ribu Dua Puluh Enam");
    assert_eq!(locale::quantity_with_words(100), "100 (seratus)");
    assert_eq!(locale::quantity_with_words(1), "1 (satu)");
    assert_eq!(locale::quantity_with_words(1_250), "1.250 (seribu dua ratus lima puluh)");
    assert_eq!(locale::date(ymd(2026, 10, 7)), "07 Oktober 2026");
    assert_eq!(
        bast_opening(ymd(2026, 11, 25)),
        "Pada hari ini Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu Dua Puluh Enam, yang bertanda tangan di bawah ini:"
    );
    assert!(bast_handover(100).ends_with("hasil personalisasi kartu SAM sebanyak 100 (seratus) keping;"));
}

#[test]
fn documents_bast_package_holds_the_text_and_the_qr_picture() {
    let bytes = bast_docx(&sample_bast()).unwrap();
    let xml = zip_entry(&bytes, "word/document.xml");
    assert_has(
        &xml,
        &[
            "BERITA ACARA SERAH TERIMA",
            "HASIL PERSONALISASI KARTU SAM PT NYRA",
            "Nomor : SAM-2026-00001",
            "Pada hari ini Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu Dua Puluh Enam, yang bertanda tangan di bawah ini:",
            "Ir. Gunawan, MA",
            "Alamat Kantor",
            "bertindak untuk dan atas nama Direktorat Jenderal Kependudukan dan Pencatatan Sipil, yang selanjutnya disebut sebagai Pihak Pertama.",
            "bertindak untuk dan atas nama PT Nyra, yang selanjutnya disebut sebagai Pihak Kedua.",
            "Berdasarkan Surat Bank ABC Nomor : 470/123/BABC/X/2026 tanggal 07 Oktober 2026 perihal Permohonan Personalisasi Kartu SAM:",
            "hasil personalisasi kartu SAM sebanyak 100 (seratus) keping;",
            "pada mesin Type IdGlobalScan GSX-01 di Bank ABC",
            "Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya.",
            "Yang Menerima",
            "Yang Menyerahkan",
            "Kode verifikasi: ",
            "7K3Q-9XWD",
            // The URL's ampersand is escaped, not dropped.
            "nomor=SAM-2026-00001&amp;kode=7K3Q-9XWD",
            "<w:drawing>",
        ],
        "BAST document.xml",
    );
    let media: Vec<_> = zip_names(&bytes).into_iter().filter(|n| n.starts_with("word/media/") && !n.ends_with('/')).collect();
    assert_eq!(media.len(), 1, "one picture, the QR code: {media:?}");
    let rels = zip_entry(&bytes, "word/_rels/document.xml.rels");
    assert!(rels.contains("relationships/image"), "{rels}");
}

#[test]
fn documents_text_that_xml_forbids_is_dropped() {
    let mut b = sample_bast();
    b.letter_subject = "Permohonan\u{1} Personalisasi\tKartu\u{FFFF} SAM <baru> & lama".into();
    let xml = zip_entry(&bast_docx(&b).unwrap(), "word/document.xml");
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{FFFF}'));
    assert!(xml.contains("perihal Permohonan Personalisasi Kartu SAM &lt;baru&gt; &amp; lama:"), "{xml}");
}

#[test]
fn documents_reply_package_holds_the_letter_and_the_lines() {
    let bytes = reply_docx(&sample_reply()).unwrap();
    let xml = zip_entry(&bytes, "word/document.xml");
    assert_has(
        &xml,
        &[
            "KEMENTERIAN DALAM NEGERI REPUBLIK INDONESIA",
            "DIREKTORAT JENDERAL KEPENDUDUKAN DAN PENCATATAN SIPIL",
            "BLS-2026-00007",
            "Sifat",
            "Lampiran",
            "Penyampaian Hasil Personalisasi Kartu SAM",
            "Jakarta, 25 November 2026",
            "Yth. Sdr. Maqbool",
            "PIC Produsen PT Nyra",
            "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230",
            "Nomor : NYRA/SAM/2026/041 tanggal 02 November 2026 dengan Kode Tiket TKT-8H2M5Q",
            "Lembaga Pengguna",
            "No. Permintaan",
            "Tgl Permintaan",
            "Jumlah Diminta",
            "Jumlah Berhasil",
            "PT Inti Persero",
            "INTI-002",
            "09 Oktober 2026",
            "1.250",
            // Totals: 100 + 1.250 requested, 98 + 1.250 personalised.
            "1.350",
            "1.348",
            "Demikian disampaikan",
            "Direktur Fasilitas Pemanfaatan Data dan Dokumen Kependudukan",
            "Ir. Gunawan, MA",
            "Q2W4-E6R8",
        ],
        "Surat Balasan document.xml",
    );
    assert_eq!(zip_names(&bytes).iter().filter(|n| n.starts_with("word/media/") && !n.ends_with('/')).count(), 1);
}

#[test]
fn documents_card_list_cells_are_all_text() {
    let bytes = card_list_xlsx("PT Nyra", "Bank ABC", &sample_rows(), VERIFY_URL).unwrap();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "no formula cells: {sheet}");

    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(LIST_SHEET).unwrap();
    let text = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("cell ({r}, {c}) is not text: {other:?}"),
    };
    assert_eq!(text(0, 0), "LAPORAN HASIL PERSONALISASI KARTU SAM PT NYRA");
    assert_eq!(text(1, 0), "(BANK ABC)");
    assert_eq!((0..5).map(|c| text(4, c)).collect::<Vec<_>>(), LIST_HEADERS);
    assert_eq!((0..5).map(|c| text(5, c)).collect::<Vec<_>>(), ["1", "=1+1", "MNF-0001", "PCID-01", ""]);
    assert_eq!((0..5).map(|c| text(6, c)).collect::<Vec<_>>(), ["2", "0012345678", "+62812", "-5", "@SUM(A1:A2)"]);
    assert_eq!((0..5).map(|c| text(7, c)).collect::<Vec<_>>(), ["3", "SAM0000000003", "MNF-0003", "00042", "kartu cadangan"]);
    assert_eq!(text(9, 0), format!("Verifikasi dokumen: {VERIFY_URL}"));
    let formulas = book.worksheet_formula(LIST_SHEET).unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formulas");
}

#[test]
fn documents_card_list_without_cards_still_has_its_frame() {
    let bytes = card_list_xlsx("PT Nyra", "Bank ABC", &[], VERIFY_URL).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(LIST_SHEET).unwrap();
    assert_eq!(range.get_value((4, 1)), Some(&Data::String("No. Seri Kartu SAM".into())));
    assert_eq!(range.get_value((6, 0)), Some(&Data::String(format!("Verifikasi dokumen: {VERIFY_URL}"))));
}

#[test]
fn documents_overlong_verification_url_is_refused_in_indonesian() {
    let mut b = sample_bast();
    b.verify_url = format!("https://sifilma.dukcapil.example/verifikasi?x={}", "A".repeat(5_000));
    let err = bast_docx(&b).unwrap_err();
    assert!(matches!(err, DocumentError::Qr(_)), "{err:?}");
    assert_eq!(err.to_string(), "Kode QR verifikasi tidak dapat dibuat: alamat verifikasi terlalu panjang.");
}

#[test]
fn documents_qr_png_has_the_symbol_geometry() {
    let png = qr_png(VERIFY_URL).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
    let modules = QrCode::with_error_correction_level(VERIFY_URL, EcLevel::M).unwrap().width();
    assert_eq!(width, (modules + 2 * QR_QUIET_ZONE) * QR_MODULE_PX);
    assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
}

// ---------------------------------------------------------------------------
// Round trip through LibreOffice, poppler, python-docx and openpyxl
// ---------------------------------------------------------------------------

fn tool_available(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Runs `cmd`, killing it after `limit`; returns its stdout, panics on failure.
fn run_with_limit(mut cmd: Command, limit: Duration) -> String {
    let shown = format!("{cmd:?}");
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap_or_else(|e| panic!("{shown}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let status = match poll_blocking(limit, Duration::from_millis(100), || child.try_wait().unwrap()) {
        Ok(status) => status,
        Err(elapsed) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {elapsed:?} (limit {limit:?})");
        }
    };
    let out = reader.join().unwrap_or_default();
    assert!(status.success(), "{shown} failed with {status}:\n{out}");
    out
}

fn pdf_text(pdf: &Path) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-enc", "UTF-8"]).arg(pdf).arg("-");
    squash(&run_with_limit(cmd, Duration::from_secs(60)))
}

fn pdf_pages(pdf: &Path) -> usize {
    let mut cmd = Command::new("pdfinfo");
    cmd.arg(pdf);
    let info = run_with_limit(cmd, Duration::from_secs(60));
    info.lines().find_map(|l| l.strip_prefix("Pages:")).and_then(|n| n.trim().parse().ok()).expect("page count")
}

fn pdf_images(pdf: &Path) -> usize {
    let mut cmd = Command::new("pdfimages");
    cmd.arg("-list").arg(pdf);
    // Two header lines, then one line per image.
    run_with_limit(cmd, Duration::from_secs(60)).lines().skip(2).filter(|l| !l.trim().is_empty()).count()
}

/// Reads the Word documents with python-docx (all paragraph and table text,
/// and the QR picture decoded with zlib into a module matrix) and the
/// workbook with openpyxl (every cell's value and data type).
const READ_BACK: &str = r##"
import json, struct, sys, zlib
import docx, openpyxl

px, quiet = int(sys.argv[1]), int(sys.argv[2])

def table_text(tables, out):
    for t in tables:
        for row in t.rows:
            for c in row.cells:
                out.extend(p.text for p in c.paragraphs)
                table_text(c.tables, out)

def png_modules(blob):
    assert blob[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    pos, idat, ihdr = 8, b"", None
    while pos < len(blob):
        (n,) = struct.unpack(">I", blob[pos:pos + 4])
        kind, data = blob[pos + 4:pos + 8], blob[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", blob[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + data) & 0xFFFFFFFF == crc, "CRC of %r" % kind
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    w, h, depth, colour = ihdr[:4]
    assert (depth, colour) == (1, 0), ihdr
    raw = zlib.decompress(idat)
    stride = (w + 7) // 8 + 1
    assert len(raw) == h * stride
    def dark(x, y):
        return not (raw[y * stride + 1 + x // 8] >> (7 - x % 8)) & 1
    assert not any(dark(x, y) for y in range(h) for x in range(w) if min(x, y, w - 1 - x, h - 1 - y) < quiet * px), "quiet zone"
    n = w // px
    return ["".join("#" if dark(mx * px + px // 2, my * px + px // 2) else "." for mx in range(quiet, n - quiet)) for my in range(quiet, n - quiet)]

result = {}
for path in sys.argv[3:]:
    if path.endswith(".docx"):
        d = docx.Document(path)
        texts = [p.text for p in d.paragraphs]
        table_text(d.tables, texts)
        images = [r.target_part.blob for r in d.part.rels.values() if r.reltype.endswith("/image")]
        result[path] = {"text": "\n".join(texts), "inline_shapes": len(d.inline_shapes), "qr": [png_modules(b) for b in images]}
    else:
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        rows = [[[c.value, c.data_type] for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=5)]
        result[path] = {"title": ws.title, "rows": rows}
print(json.dumps(result))
"##;

fn expected_modules(url: &str) -> Vec<String> {
    let code = QrCode::with_error_correction_level(url, EcLevel::M).unwrap();
    let n = code.width();
    code.to_colors().chunks(n).map(|row| row.iter().map(|c| if *c == Color::Dark { '#' } else { '.' }).collect()).collect()
}

#[test]
fn documents_round_trip_through_libreoffice_and_python_readers() {
    if !require_program("LibreOffice (apt: libreoffice-writer-nogui libreoffice-calc-nogui)", "soffice", "--version")
        || !require_program("poppler-utils", "pdftotext", "-v")
    {
        return;
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("sifilma-documents-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("profile")).unwrap();
    let bast = dir.join("bast.docx");
    let reply = dir.join("balasan.docx");
    let list = dir.join("daftar.xlsx");
    let reply_data = sample_reply();
    std::fs::write(&bast, bast_docx(&sample_bast()).unwrap()).unwrap();
    std::fs::write(&reply, reply_docx(&reply_data).unwrap()).unwrap();
    std::fs::write(&list, card_list_xlsx("PT Nyra", "Bank ABC", &sample_rows(), VERIFY_URL).unwrap()).unwrap();

    // One LibreOffice start for all three files.
    let mut soffice = Command::new("soffice");
    soffice
        .args(["--headless", "--norestore", "--nolockcheck"])
        .arg(format!("-env:UserInstallation=file://{}", dir.join("profile").display()))
        .args(["--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .args([&bast, &reply, &list]);
    run_with_limit(soffice, Duration::from_secs(240));

    let bast_pdf = dir.join("bast.pdf");
    let text = pdf_text(&bast_pdf);
    assert_has(
        &text,
        &[
            "BERITA ACARA SERAH TERIMA",
            "HASIL PERSONALISASI KARTU SAM PT NYRA",
            "Nomor : SAM-2026-00001",
            "Pada hari ini Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu Dua Puluh Enam, yang bertanda tangan di bawah ini:",
            "Pihak Pertama",
            "Pihak Kedua",
            "Yang Menerima",
            "Yang Menyerahkan",
            "sebanyak 100 (seratus) keping;",
            "Berdasarkan Surat Bank ABC Nomor : 470/123/BABC/X/2026 tanggal 07 Oktober 2026",
            "Type IdGlobalScan GSX-01",
            "Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya.",
            "Ir. Gunawan, MA",
            "Maqbool",
            "Kode verifikasi: 7K3Q-9XWD",
        ],
        "BAST PDF",
    );
    assert_eq!(pdf_pages(&bast_pdf), 1, "the sample BAST fits on one page");
    assert_eq!(pdf_images(&bast_pdf), 1, "the QR code is rendered");

    let reply_pdf = dir.join("balasan.pdf");
    let text = pdf_text(&reply_pdf);
    assert_has(
        &text,
        &[
            "KEMENTERIAN DALAM NEGERI REPUBLIK INDONESIA",
            "DIREKTORAT JENDERAL KEPENDUDUKAN DAN PENCATATAN SIPIL",
            "Penyampaian Hasil Personalisasi Kartu SAM",
            "Jakarta, 25 November 2026",
            "Kode Tiket TKT-8H2M5Q",
            "Bank ABC",
            "PT Inti Persero",
            "1.350",
            "1.348",
            "Kode verifikasi: Q2W4-E6R8",
        ],
        "Surat Balasan PDF",
    );
    assert_eq!(pdf_images(&reply_pdf), 1, "the QR code is rendered");

    let text = pdf_text(&dir.join("daftar.pdf"));
    assert_has(
        &text,
        &["LAPORAN HASIL PERSONALISASI KARTU SAM PT NYRA", "(BANK ABC)", "No. Seri Kartu SAM", "No. Manifest Kartu SAM", "=1+1", "0012345678", "@SUM(A1:A2)"],
        "card list PDF",
    );

    let python = "/usr/bin/python3";
    if !tool_available(python, "--version") || !Command::new(python).args(["-c", "import docx, openpyxl"]).status().is_ok_and(|s| s.success()) {
        crate::support::missing_service("python3-docx and python3-openpyxl", "`/usr/bin/python3 -c 'import docx, openpyxl'` failed");
        return;
    }
    let script = dir.join("read_back.py");
    std::fs::write(&script, READ_BACK).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg(QR_MODULE_PX.to_string()).arg(QR_QUIET_ZONE.to_string()).args([&bast, &reply, &list]);
    let out: Value = serde_json::from_str(&run_with_limit(cmd, Duration::from_secs(120))).unwrap();
    let doc = |p: &Path| &out[p.display().to_string()];

    let b = doc(&bast);
    let text = squash(b["text"].as_str().unwrap());
    assert_has(
        &text,
        &[
            "Pada hari ini Rabu tanggal Dua Puluh Lima bulan November tahun Dua Ribu Dua Puluh Enam",
            "yang selanjutnya disebut sebagai Pihak Pertama.",
            "hasil personalisasi kartu SAM sebanyak 100 (seratus) keping;",
            VERIFY_URL,
        ],
        "BAST via python-docx",
    );
    assert_eq!(b["inline_shapes"], 1);
    let qr: Vec<Vec<String>> = serde_json::from_value(b["qr"].clone()).unwrap();
    assert_eq!(qr, vec![expected_modules(VERIFY_URL)], "the BAST picture is the QR code of the verification URL");

    let r = doc(&reply);
    let text = squash(r["text"].as_str().unwrap());
    assert_has(&text, &["Yth. Sdr. Maqbool", "No. Permintaan", "Jumlah Berhasil", "INTI-002", "1.348"], "Surat Balasan via python-docx");
    let qr: Vec<Vec<String>> = serde_json::from_value(r["qr"].clone()).unwrap();
    assert_eq!(qr, vec![expected_modules(&reply_data.verify_url)]);

    let l = doc(&list);
    assert_eq!(l["title"], LIST_SHEET);
    let rows = l["rows"].as_array().unwrap();
    let cell = |r: usize, c: usize| (&rows[r][c][0], rows[r][c][1].as_str().unwrap());
    assert_eq!(cell(0, 0), (&Value::from("LAPORAN HASIL PERSONALISASI KARTU SAM PT NYRA"), "s"));
    assert_eq!(cell(5, 1), (&Value::from("=1+1"), "s"), "a formula-like serial stays text");
    assert_eq!(cell(6, 2), (&Value::from("+62812"), "s"));
    assert_eq!(cell(6, 3), (&Value::from("-5"), "s"));
    assert_eq!(cell(6, 4), (&Value::from("@SUM(A1:A2)"), "s"));
    assert_eq!(cell(6, 1), (&Value::from("0012345678"), "s"));
    for row in rows {
        for c in row.as_array().unwrap() {
            assert!(c[0].is_null() || c[1] == "s", "every filled cell is text: {c}");
        }
    }

    if let Ok(artifacts) = std::env::var("SIFILMA_TEST_ARTIFACTS") {
        let keep = Path::new(&artifacts).join("documents");
        let _ = std::fs::create_dir_all(&keep);
        for name in ["bast.docx", "bast.pdf", "balasan.docx", "balasan.pdf", "daftar.xlsx", "daftar.pdf"] {
            let _ = std::fs::copy(dir.join(name), keep.join(name));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------
// Sistem Aktivasi: Surat Balasan Aktivasi and Daftar Card Reader Teraktivasi
// ---------------------------------------------------------------------------

#[test]
fn documents_activation_reply_package_holds_the_letter_and_every_reader() {
    let mut r = sample_activation_reply();
    assert_eq!(
        activation_reply_opening(&r),
        "Menindaklanjuti surat Saudara Nomor : NYRA/AKT/2026/007 tanggal 20 November 2026 perihal Permohonan Aktivasi Card Reader Terintegrasi untuk Bank ABC, bersama ini kami sampaikan bahwa 2 (dua) card reader sebagaimana tercantum di bawah ini telah diaktivasi:"
    );
    let xml = zip_entry(&activation_reply_docx(&r).unwrap(), "word/document.xml");
    assert_has(
        &xml,
        &[
            "KEMENTERIAN DALAM NEGERI REPUBLIK INDONESIA",
            "Jl. Raya Pasar Minggu Km. 19, Jakarta Selatan 12072",
            "Jakarta, 25 November 2026",
            "AKT-2026-00003",
            "Aktivasi Card Reader Terintegrasi",
            "Yth. Pimpinan",
            "PT Nyra",
            "Jl. Thamrin Boulevard No. 1, Jakarta Pusat 10230",
            "Jenis Card Reader",
            "S/N CR",
            "No. Seri Kartu SAM",
            "Nomor Perso",
            "Wilayah",
            "No. Aktivasi",
            "Berlaku s.d.",
            "CR-7731-0043",
            "0SAM00000002",
            "PRS-2026-00000002",
            "DKI Jakarta / Jakarta Selatan",
            "AKT-2026-00003-0002",
            "24 November 2027",
            "dapat diunduh melalui portal SI-FILMA",
            "Aktivasi berlaku sampai dengan 24 November 2027.",
            "Direktur Fasilitas Pemanfaatan Data dan Dokumen Kependudukan",
            "Ir. Gunawan, MA",
            "nomor=AKT-2026-00003&amp;kode=M3N5-P7Q9",
            "M3N5-P7Q9",
            "<w:drawing>",
        ],
        "Surat Balasan Aktivasi document.xml",
    );
    // The institution filing for itself: no "untuk".
    r.applicant = "Bank ABC".into();
    assert!(activation_reply_opening(&r).contains("Aktivasi Card Reader Terintegrasi, bersama ini"), "{}", activation_reply_opening(&r));
}

fn sample_readers() -> Vec<ReaderRow> {
    let row = |serial: &str, sam: &str, status: &str, revoked_on: &str, reason: &str| ReaderRow {
        reader_type: "Type IdGlobalScan GSX-01".into(),
        reader_serial: serial.into(),
        sam_serial: sam.into(),
        perso_number: "PRS-0001".into(),
        pcid: "00042".into(),
        province: "Jawa Barat".into(),
        city: "Kota Bandung".into(),
        activation_number: "AKT-2026-00003-0001".into(),
        valid_from: "25 November 2026".into(),
        valid_until: "24 November 2027".into(),
        status: status.into(),
        revoked_on: revoked_on.into(),
        reason: reason.into(),
    };
    vec![row("=1+1", "0012345678", "Aktif", "", ""), row("CR-2", "SAM0000000003", "Dicabut", "26 November 2026", "@SUM(A1:A2) hilang")]
}

#[test]
fn documents_activated_readers_list_cells_are_all_text() {
    let heading = ListHeading {
        institution: "=HYPERLINK(\"http://contoh.example\",\"klik\")".into(),
        reply_number: "AKT-2026-00003".into(),
        letter: "NYRA/AKT/2026/007 tanggal 20 November 2026".into(),
    };
    let bytes = readers_xlsx(&heading, &sample_readers()).unwrap();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "no formula cells: {sheet}");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(READERS_SHEET).unwrap();
    let text = |r: u32, c: u32| match range.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        other => panic!("cell ({r}, {c}) is not text: {other:?}"),
    };
    assert_eq!(text(0, 0), "DAFTAR CARD READER TERAKTIVASI");
    assert_eq!((text(1, 0), text(1, 2)), ("Lembaga Pengguna".to_string(), heading.institution.clone()), "a formula-like name stays text");
    assert_eq!(text(2, 2), "AKT-2026-00003");
    let h = READERS_HEADER_ROW;
    assert_eq!((0..14).map(|c| text(h, c)).collect::<Vec<_>>(), READERS_HEADERS);
    assert_eq!(
        (0..14).map(|c| text(h + 1, c)).collect::<Vec<_>>(),
        [
            "1",
            "Type IdGlobalScan GSX-01",
            "=1+1",
            "0012345678",
            "PRS-0001",
            "00042",
            "Jawa Barat",
            "Kota Bandung",
            "AKT-2026-00003-0001",
            "25 November 2026",
            "24 November 2027",
            "Aktif",
            "",
            ""
        ]
    );
    assert_eq!((11..14).map(|c| text(h + 2, c)).collect::<Vec<_>>(), ["Dicabut", "26 November 2026", "@SUM(A1:A2) hilang"]);
    let formulas = book.worksheet_formula(READERS_SHEET).unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formulas");
}

#[test]
fn documents_activation_reply_round_trips_through_libreoffice_and_python_docx() {
    if !require_program("LibreOffice (apt: libreoffice-writer-nogui libreoffice-calc-nogui)", "soffice", "--version")
        || !require_program("poppler-utils", "pdftotext", "-v")
    {
        return;
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("sifilma-activation-documents-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("profile")).unwrap();
    let letter = dir.join("balasan-aktivasi.docx");
    let list = dir.join("daftar-card-reader.xlsx");
    let data = sample_activation_reply();
    std::fs::write(&letter, activation_reply_docx(&data).unwrap()).unwrap();
    let heading = ListHeading { institution: "Bank ABC".into(), reply_number: data.number.clone(), letter: "NYRA/AKT/2026/007".into() };
    std::fs::write(&list, readers_xlsx(&heading, &sample_readers()).unwrap()).unwrap();

    let mut soffice = Command::new("soffice");
    soffice
        .args(["--headless", "--norestore", "--nolockcheck"])
        .arg(format!("-env:UserInstallation=file://{}", dir.join("profile").display()))
        .args(["--convert-to", "pdf", "--outdir"])
        .arg(&dir)
        .args([&letter, &list]);
    run_with_limit(soffice, Duration::from_secs(240));
    if let Ok(artifacts) = std::env::var("SIFILMA_TEST_ARTIFACTS") {
        let keep = Path::new(&artifacts).join("documents");
        let _ = std::fs::create_dir_all(&keep);
        for name in ["balasan-aktivasi.docx", "balasan-aktivasi.pdf", "daftar-card-reader.xlsx", "daftar-card-reader.pdf"] {
            let _ = std::fs::copy(dir.join(name), keep.join(name));
        }
    }
    let pdf = dir.join("balasan-aktivasi.pdf");
    assert_has(
        &pdf_text(&pdf),
        &[
            "DIREKTORAT JENDERAL KEPENDUDUKAN DAN PENCATATAN SIPIL",
            "Jakarta, 25 November 2026",
            "AKT-2026-00003",
            "Yth. Pimpinan",
            "Permohonan Aktivasi Card Reader Terintegrasi untuk Bank ABC",
            "CR-7731-0042",
            "0SAM00000001",
            "Aktivasi berlaku sampai dengan 24 November 2027.",
            "Ir. Gunawan, MA",
            "Kode verifikasi: M3N5-P7Q9",
        ],
        "Surat Balasan Aktivasi PDF",
    );
    assert_eq!(pdf_pages(&pdf), 1, "a letter for two readers fits on one page");
    assert_eq!(pdf_images(&pdf), 1, "the QR code is rendered");
    assert_has(&pdf_text(&dir.join("daftar-card-reader.pdf")), &["DAFTAR CARD READER TERAKTIVASI", "No. Aktivasi", "=1+1", "0012345678"], "list PDF");

    let python = "/usr/bin/python3";
    if !tool_available(python, "--version") || !Command::new(python).args(["-c", "import docx, openpyxl"]).status().is_ok_and(|s| s.success()) {
        crate::support::missing_service("python3-docx and python3-openpyxl", "`/usr/bin/python3 -c 'import docx, openpyxl'` failed");
        return;
    }
    let script = dir.join("read_back.py");
    std::fs::write(&script, READ_BACK).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg(QR_MODULE_PX.to_string()).arg(QR_QUIET_ZONE.to_string()).arg(&letter);
    let out: Value = serde_json::from_str(&run_with_limit(cmd, Duration::from_secs(120))).unwrap();
    let read = &out[letter.display().to_string()];
    assert_has(
        &squash(read["text"].as_str().unwrap()),
        &["Yth. Pimpinan", "No. Seri Kartu SAM", "AKT-2026-00003-0002", "DKI Jakarta / Jakarta Selatan", "24 November 2027", &data.verify_url],
        "Surat Balasan Aktivasi via python-docx",
    );
    let qr: Vec<Vec<String>> = serde_json::from_value(read["qr"].clone()).unwrap();
    assert_eq!(qr, vec![expected_modules(&data.verify_url)], "the picture is the QR code of the verification URL");
    let _ = std::fs::remove_dir_all(&dir);
}
