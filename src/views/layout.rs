//! The context every page shares (user menu, navigation, CSRF token, flash)
//! and the one function controllers render through.
use serde::Serialize;
use serde_json::{json, Value};

use crate::{locale, models::paging::Window};

/// Messages shown after a redirect, keyed by the `ok` query parameter; a
/// fixed table, so a link cannot put arbitrary text on the page.
const FLASH: &[(&str, &str)] = &[
    ("password", "Password berhasil diubah. Sesi lain akun Anda telah dikeluarkan."),
    ("profil", "Profil berhasil diperbarui."),
    ("stasiun", "Penugasan stasiun operator disimpan."),
    ("daftar", "Pendaftaran terkirim. Kami mengirim email ke alamat yang Anda isi; akun baru aktif setelah diverifikasi admin Dukcapil."),
    ("logout", "Anda telah keluar dari SI-FILMA."),
    ("disimpan", "Data berhasil disimpan."),
    ("diaktifkan", "Data berhasil diaktifkan."),
    ("dinonaktifkan", "Data berhasil dinonaktifkan."),
    ("faq-ditampilkan", "Pertanyaan kini tampil untuk semua pengguna."),
    ("faq-disembunyikan", "Pertanyaan disembunyikan; hanya admin yang masih melihatnya."),
    ("faq-dihapus", "Pertanyaan telah dihapus."),
    ("akun", "Akun pengguna berhasil diperbarui."),
    ("aktivasi-diajukan", "Permohonan aktivasi tersimpan. Disposisi Dukcapil memerlukan 2–3 hari kerja."),
    ("aktivasi-disetujui", "Aktivasi disetujui: setiap card reader mendapat manifest bertanda tangan yang dapat diunduh."),
    ("aktivasi-ditolak", "Permohonan aktivasi ditolak; kartu SAM di dalamnya dapat diajukan lagi."),
    ("aktivasi-ditarik", "Permohonan aktivasi ditarik."),
    ("aktivasi-dicabut", "Aktivasi card reader dicabut dan masuk daftar pencabutan."),
    ("aktivasi-diubah", "Perubahan permohonan aktivasi tersimpan; permohonan tetap menunggu disposisi Dukcapil."),
    ("password-diatur", "Password tersimpan. Silakan masuk dengan password baru Anda."),
    ("ditarik", "Permintaan telah ditarik."),
    ("pengajuan-ditolak", "Pengajuan ditolak; permintaan di dalamnya kembali ke produsen dan produsen diberi tahu."),
    ("perso-dibuat", "Data personalisasi (Nomor Perso, PCID, No. Manifest) telah dibuat untuk semua kartu."),
    ("perso-diimpor", "Data personalisasi semua kartu telah diimpor dari Excel."),
    ("perso-dihapus", "Data personalisasi semua kartu telah dihapus (Clear All)."),
    ("run-dimulai", "Proses personalisasi dimulai: kartu dikirim ke stasiun. Kemajuan tampil di bawah tanpa memuat ulang halaman."),
    ("perso-selesai", "Status Personalisasi: Done. Lembaga pengguna telah diberi tahu melalui email."),
    ("kartu-diubah", "Status kartu telah diubah dengan catatan admin."),
    ("diterima-produsen", "Penerimaan tersimpan: status Received. Dokumen BAST dan daftar kartu dapat dicetak."),
    ("dokumen-diproses", "Dokumen sedang dibuat; tautan unduhan muncul di tabel Dokumen setelah selesai."),
    ("dihapus", "Pengajuan telah dihapus; permintaan di dalamnya kembali berstatus Approved."),
    ("diterima", "Pengajuan diterima: Kode Tiket diterbitkan dan jadwal personalisasi dihitung."),
    ("disetujui", "Permintaan telah disetujui; lembaga pengguna diberi tahu melalui email."),
    ("ditolak", "Permintaan telah ditolak; lembaga pengguna diberi tahu melalui email beserta alasannya."),
];

#[must_use]
pub fn flash(code: Option<&str>) -> Value {
    code.and_then(|c| FLASH.iter().find(|(k, _)| *k == c)).map_or(Value::Null, |(_, m)| json!({ "kind": "success", "message": m }))
}

/// The flash message named by `ok=` in a raw query string.
#[must_use]
pub fn flash_from_query(raw: Option<&str>) -> Value {
    flash(raw.unwrap_or_default().split('&').find_map(|p| p.strip_prefix("ok=")))
}

/// `data` laid over `base` (top-level keys of `data` win).
#[must_use]
pub fn merge(mut base: Value, data: Value) -> Value {
    if let (Some(base), Value::Object(data)) = (base.as_object_mut(), data) {
        base.extend(data);
    }
    base
}

/// What `partials/pagination.html` shows: "Menampilkan 21–40 dari 350
/// data" and the page links (first, last, and two either side of the
/// current one, gaps as "…").
#[derive(Debug, Serialize)]
pub struct Pager {
    pub number: u64,
    pub total_pages: u64,
    pub from: String,
    pub to: String,
    pub total: String,
    pub pages: Vec<PageLink>,
    pub has_prev: bool,
    pub has_next: bool,
    pub prev_href: String,
    pub next_href: String,
}

/// One page link, or a gap ("…") between two.
#[derive(Debug, Serialize)]
pub struct PageLink {
    pub gap: bool,
    pub number: u64,
    pub href: String,
    pub current: bool,
}

/// The [`Pager`] of `w`; `base` is the query string without `page`.
#[must_use]
pub fn pager(w: &Window, base: &str) -> Pager {
    let href = |p: u64| if base.is_empty() { format!("?page={p}") } else { format!("?{base}&page={p}") };
    let (current, last) = (w.number, w.last());
    let mut pages = Vec::new();
    let mut previous = 0;
    // The pages shown, in order and each once: a list of 5,000 pages is not walked.
    let shown = std::iter::once(1).chain(current.saturating_sub(2).max(2)..=current.saturating_add(2).min(last)).chain(std::iter::once(last));
    for p in shown {
        if p <= previous || p > last {
            continue;
        }
        if p > previous + 1 {
            pages.push(PageLink { gap: true, number: 0, href: String::new(), current: false });
        }
        pages.push(PageLink { gap: false, number: p, href: href(p), current: p == current });
        previous = p;
    }
    Pager {
        number: current,
        total_pages: last,
        from: locale::group_thousands(w.first_row()),
        to: locale::group_thousands(w.last_row()),
        total: locale::group_thousands(w.total),
        pages,
        has_prev: current > 1,
        has_next: current < last,
        prev_href: href(current.saturating_sub(1).max(1)),
        next_href: href(current + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(page: u64, pages: u64) -> Vec<String> {
        let w = Window::new(page.into(), 20, pages * 20);
        pager(&w, "").pages.iter().map(|p| if p.gap { "…".to_string() } else { p.number.to_string() }).collect()
    }

    #[test]
    fn first_last_and_two_either_side_with_gaps() {
        assert_eq!(shown(1, 1), ["1"]);
        assert_eq!(shown(1, 5000), ["1", "2", "3", "…", "5000"]);
        assert_eq!(shown(4, 5000), ["1", "2", "3", "4", "5", "6", "…", "5000"]);
        assert_eq!(shown(2500, 5000), ["1", "…", "2498", "2499", "2500", "2501", "2502", "…", "5000"]);
        assert_eq!(shown(5000, 5000), ["1", "…", "4998", "4999", "5000"]);
        assert_eq!(shown(2, 3), ["1", "2", "3"]);
    }
}
