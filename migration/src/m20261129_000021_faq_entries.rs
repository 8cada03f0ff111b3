//! Frequent Asked Question: entries the admin writes in Markdown, shown to
//! every signed-in user in `position` order. A fresh database (production
//! included) starts with a few answers drawn from the registry's procedure;
//! they are added only while the table is empty, so running this again never
//! duplicates or overwrites what the admin wrote.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "faq_entries";

/// (question, answer in Markdown), in the order shown.
const SEED: &[(&str, &str)] = &[
    (
        "Apa itu kartu SAM?",
        "SAM (*Secure Access Module*) adalah kartu modul keamanan yang dipasang di dalam alat pembaca (reader) KTP-el. \
         Tanpa kartu SAM, reader tidak dapat membuka data di dalam chip KTP-el.\n\n\
         Kartu SAM hanya diterbitkan dan diaktifkan oleh Ditjen Dukcapil Kemendagri; produsen menyerahkan blanko kartunya, \
         Dukcapil mengisinya (personalisasi) di Data Center.",
    ),
    (
        "Apa saja tahapan personalisasi kartu SAM dan berapa lama?",
        "Dalam kondisi ideal seluruh proses memakan waktu sekitar **8 hari kerja**:\n\n\
         1. Produsen mengirim surat permohonan personalisasi untuk lembaga pengguna ke Ditjen Dukcapil, bersama blanko kartu SAM.\n\
         2. Pimpinan memberi disposisi persetujuan: sekitar 2–3 hari kerja.\n\
         3. Berdasarkan disposisi itu personalisasi dijadwalkan di Data Center: sekitar 1 hari kerja.\n\
         4. Kartu dipersonalisasi di stasiun: sekitar 1 hari kerja untuk 250 keping.\n\
         5. Berita Acara Serah Terima (BAST) dan surat balasan yang ditandatangani Dirjen Dukcapil disiapkan: sekitar 3 hari kerja.\n\n\
         Waktu bisa lebih lama bila jumlah kartu besar atau antrean personalisasi sedang panjang.",
    ),
    (
        "Berapa banyak kartu yang dapat dipersonalisasi dalam sehari?",
        "Satu stasiun personalisasi menyelesaikan sekitar **250 keping per 8 jam kerja**. Kartu ke-251 dan seterusnya \
         dikerjakan pada hari kerja berikutnya.\n\n\
         Antrean juga dihitung. Contoh: bila sudah ada 500 keping yang menunggu dan Anda mengajukan 250 keping, \
         kartu Anda baru dikerjakan pada hari ketiga, sehingga total prosesnya menjadi sekitar 10 hari kerja. \
         SI-FILMA menampilkan estimasi mulai dan selesai pada setiap pengajuan yang sudah diterima.",
    ),
    (
        "Apakah kami harus mengirim data balikan ke Dukcapil?",
        "Tergantung cara reader dipakai:\n\n\
         - **Offline** (hanya membaca chip KTP-el di tempat): tidak perlu.\n\
         - **Online** (memakai layanan web Dukcapil): perlu.",
    ),
    (
        "Bagaimana proses aktivasi card reader dan berapa lama?",
        "1. Produsen atau lembaga pengguna mengirim surat permohonan aktivasi card reader terintegrasi ke Ditjen Dukcapil. \
         Surat memuat jenis reader, nomor seri (S/N) reader, nomor asal kartu SAM, nomor SAM hasil personalisasi, \
         serta tempat atau wilayah penggunaan reader.\n\
         2. Surat didisposisi dalam sekitar 2–3 hari kerja.\n\
         3. Dukcapil mengaktifkan reader dengan memberikan berkas manifest konfigurasi: sekitar 1 hari kerja.\n\
         4. Surat balasan aktivasi disiapkan: sekitar 3 hari kerja.\n\n\
         Totalnya sekitar **7 hari kerja**.",
    ),
    (
        "Apakah reader KTP-el yang baru dibeli bisa langsung dipakai?",
        "Belum. Setiap reader KTP-el harus **didaftarkan dan diaktifkan** di Ditjen Dukcapil Kemendagri lebih dulu. \
         Pemanfaatan data kependudukan hanya boleh dilakukan oleh pengguna yang identitasnya jelas, \
         dan aktivasi itulah yang mencatat siapa pemakai setiap reader.",
    ),
    (
        "Berapa lama seluruh pengurusan dari personalisasi sampai aktivasi?",
        "Biasanya **14 sampai 21 hari kerja**. Personalisasi dan aktivasi masing-masing diawali surat-menyurat \
         dengan pejabat Dukcapil yang berwenang, sehingga waktunya dihitung sejak surat diterima.",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("question", 300))
                .col(text("answer"))
                .col(integer("position"))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().if_not_exists().name("idx-faq-entries-position").table(Alias::new(TABLE)).col(Alias::new("position")).to_owned())
            .await?;

        let db = m.get_connection();
        let count = Query::select().expr(Expr::col(Asterisk).count()).from(Alias::new(TABLE)).to_owned();
        let existing: i64 = match db.query_one(&count).await? {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        if existing > 0 {
            return Ok(());
        }
        let mut insert = Query::insert();
        insert.into_table(Alias::new(TABLE)).columns([Alias::new("question"), Alias::new("answer"), Alias::new("position"), Alias::new("active")]);
        for (n, (question, answer)) in (1..).zip(SEED) {
            insert.values_panic([(*question).into(), (*answer).into(), Expr::val(n), true.into()]);
        }
        db.execute(&insert).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new(TABLE)).to_owned()).await
    }
}
