//! The audit trail: one row per state change, login decision and master-data
//! change, always written through the same connection (transaction) as the
//! change it records.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};

pub use super::_entities::audit_events::{ActiveModel, Column, Entity, Model};
use super::{_entities::users, errors::AppResult};

/// Who did it and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i32>,
    pub name: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    #[must_use]
    pub fn user(user: &users::Model, ip: &str) -> Self {
        Self { id: Some(user.id), name: Some(user.username.clone()), ip: Some(ip.to_string()) }
    }

    /// An operator at the server's console (`cargo loco task …`): the
    /// operating-system account that ran it, no network address.
    #[must_use]
    pub fn console() -> Self {
        let who = std::env::var("SUDO_USER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "?".into());
        Self { id: None, name: Some(format!("konsol:{}", who.chars().take(40).collect::<String>())), ip: Some("konsol".into()) }
    }

    /// The portal itself (scheduled work in a worker process).
    #[must_use]
    pub fn system() -> Self {
        Self { id: None, name: Some("sistem".into()), ip: None }
    }

    #[must_use]
    pub fn anonymous(name: Option<String>, ip: &str) -> Self {
        Self { id: None, name, ip: Some(ip.to_string()) }
    }
}

/// What an audit row records. The stored code (`as_str`) is for machines and
/// filters; people read `label`, in Indonesian, on every page and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    UserRegistered,
    UserStatusChanged,
    UserProfileUpdated,
    UserPasswordReset,
    UserPasswordChanged,
    UserAssigned,
    LoginSucceeded,
    LoginFailed,
    LoginRefused,
    LoginThrottled,
    Logout,
    MasterCreated,
    MasterUpdated,
    MasterActivated,
    MasterDeactivated,
    RequestSubmitted,
    RequestEdited,
    RequestWithdrawn,
    RequestApproved,
    RequestRejected,
    RequestBundled,
    RequestFreed,
    RequestInProgress,
    RequestDone,
    RequestReceived,
    SubmissionCreated,
    SubmissionEdited,
    SubmissionRemoved,
    SubmissionAccepted,
    SubmissionRejected,
    SubmissionPersoStarted,
    SubmissionDone,
    SubmissionReceived,
    PersoGenerated,
    PersoImported,
    PersoCleared,
    RunStarted,
    RunRetry,
    RunFinished,
    RunReclaimed,
    CardOverride,
    DocumentOrdered,
    RegistrationThrottled,
    RegistrationEmailTaken,
    RegistrationUsernameTaken,
    LoginRefusedOrganisation,
    OrganisationSessionsEnded,
    StationOperatorsChanged,
    RunRefusedStation,
    VerifyThrottled,
    FaqCreated,
    FaqUpdated,
    FaqMoved,
    FaqActivated,
    FaqDeactivated,
    FaqDeleted,
    WhatsappNumberChanged,
    AdminCreatedOnServer,
    PasswordLinkIssued,
    PasswordSetByLink,
    Housekeeping,
    BackupMade,
    ActivationFiled,
    ActivationWithdrawn,
    ActivationApproved,
    ActivationRejected,
    ReaderRevoked,
    ActivationEdited,
}

impl Action {
    pub const ALL: [Self; 68] = [
        Self::UserRegistered,
        Self::UserStatusChanged,
        Self::UserProfileUpdated,
        Self::UserPasswordReset,
        Self::UserPasswordChanged,
        Self::UserAssigned,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginRefused,
        Self::LoginThrottled,
        Self::Logout,
        Self::MasterCreated,
        Self::MasterUpdated,
        Self::MasterActivated,
        Self::MasterDeactivated,
        Self::RequestSubmitted,
        Self::RequestEdited,
        Self::RequestWithdrawn,
        Self::RequestApproved,
        Self::RequestRejected,
        Self::RequestBundled,
        Self::RequestFreed,
        Self::RequestInProgress,
        Self::RequestDone,
        Self::RequestReceived,
        Self::SubmissionCreated,
        Self::SubmissionEdited,
        Self::SubmissionRemoved,
        Self::SubmissionAccepted,
        Self::SubmissionRejected,
        Self::SubmissionPersoStarted,
        Self::SubmissionDone,
        Self::SubmissionReceived,
        Self::PersoGenerated,
        Self::PersoImported,
        Self::PersoCleared,
        Self::RunStarted,
        Self::RunRetry,
        Self::RunFinished,
        Self::RunReclaimed,
        Self::CardOverride,
        Self::DocumentOrdered,
        Self::RegistrationThrottled,
        Self::RegistrationEmailTaken,
        Self::RegistrationUsernameTaken,
        Self::LoginRefusedOrganisation,
        Self::OrganisationSessionsEnded,
        Self::StationOperatorsChanged,
        Self::RunRefusedStation,
        Self::VerifyThrottled,
        Self::FaqCreated,
        Self::FaqUpdated,
        Self::FaqMoved,
        Self::FaqActivated,
        Self::FaqDeactivated,
        Self::FaqDeleted,
        Self::WhatsappNumberChanged,
        Self::AdminCreatedOnServer,
        Self::PasswordLinkIssued,
        Self::PasswordSetByLink,
        Self::Housekeeping,
        Self::BackupMade,
        Self::ActivationFiled,
        Self::ActivationWithdrawn,
        Self::ActivationApproved,
        Self::ActivationRejected,
        Self::ReaderRevoked,
        Self::ActivationEdited,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::UserStatusChanged => "user.status_changed",
            Self::UserProfileUpdated => "user.profile_updated",
            Self::UserPasswordReset => "user.password_reset",
            Self::UserPasswordChanged => "user.password_changed",
            Self::UserAssigned => "user.assigned",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginRefused => "login.refused",
            Self::LoginThrottled => "login.throttled",
            Self::Logout => "logout",
            Self::MasterCreated => "master.created",
            Self::MasterUpdated => "master.updated",
            Self::MasterActivated => "master.activated",
            Self::MasterDeactivated => "master.deactivated",
            Self::RequestSubmitted => "request.submitted",
            Self::RequestEdited => "request.edited",
            Self::RequestWithdrawn => "request.withdrawn",
            Self::RequestApproved => "request.approved",
            Self::RequestRejected => "request.rejected",
            Self::RequestBundled => "request.bundled",
            Self::RequestFreed => "request.freed",
            Self::RequestInProgress => "request.in_progress",
            Self::RequestDone => "request.done",
            Self::RequestReceived => "request.received",
            Self::SubmissionCreated => "submission.created",
            Self::SubmissionEdited => "submission.edited",
            Self::SubmissionRemoved => "submission.removed",
            Self::SubmissionAccepted => "submission.accepted",
            Self::SubmissionRejected => "submission.rejected",
            Self::SubmissionPersoStarted => "submission.perso_started",
            Self::SubmissionDone => "submission.done",
            Self::SubmissionReceived => "submission.received",
            Self::PersoGenerated => "perso.generated",
            Self::PersoImported => "perso.imported",
            Self::PersoCleared => "perso.cleared",
            Self::RunStarted => "perso.run_started",
            Self::RunRetry => "perso.run_retry",
            Self::RunFinished => "perso.run_finished",
            Self::RunReclaimed => "perso.run_reclaimed",
            Self::CardOverride => "perso.card_override",
            Self::DocumentOrdered => "document.ordered",
            Self::RegistrationThrottled => "user.registration_throttled",
            Self::RegistrationEmailTaken => "user.registration_email_taken",
            Self::RegistrationUsernameTaken => "user.registration_username_taken",
            Self::LoginRefusedOrganisation => "login.refused_organisation",
            Self::OrganisationSessionsEnded => "organisation.sessions_ended",
            Self::StationOperatorsChanged => "station.operators_changed",
            Self::RunRefusedStation => "perso.run_refused_station",
            Self::VerifyThrottled => "document.verify_throttled",
            Self::FaqCreated => "faq.created",
            Self::FaqUpdated => "faq.updated",
            Self::FaqMoved => "faq.moved",
            Self::FaqActivated => "faq.activated",
            Self::FaqDeactivated => "faq.deactivated",
            Self::FaqDeleted => "faq.deleted",
            Self::WhatsappNumberChanged => "settings.whatsapp_changed",
            Self::AdminCreatedOnServer => "user.created_on_server",
            Self::PasswordLinkIssued => "user.password_link_issued",
            Self::PasswordSetByLink => "user.password_set_by_link",
            Self::Housekeeping => "system.housekeeping",
            Self::BackupMade => "system.backup",
            Self::ActivationFiled => "activation.filed",
            Self::ActivationWithdrawn => "activation.withdrawn",
            Self::ActivationApproved => "activation.approved",
            Self::ActivationRejected => "activation.rejected",
            Self::ReaderRevoked => "activation.reader_revoked",
            Self::ActivationEdited => "activation.edited",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::UserRegistered => "Pendaftaran akun",
            Self::UserStatusChanged => "Status akun diubah",
            Self::UserProfileUpdated => "Profil diperbarui",
            Self::UserPasswordReset => "Password direset admin",
            Self::UserPasswordChanged => "Password diubah",
            Self::UserAssigned => "Peran/organisasi akun diubah",
            Self::LoginSucceeded => "Login berhasil",
            Self::LoginFailed => "Login gagal",
            Self::LoginRefused => "Login ditolak",
            Self::LoginThrottled => "Login diblokir sementara",
            Self::Logout => "Logout",
            Self::MasterCreated => "Data master ditambahkan",
            Self::MasterUpdated => "Data master diubah",
            Self::MasterActivated => "Data master diaktifkan",
            Self::MasterDeactivated => "Data master dinonaktifkan",
            Self::RequestSubmitted => "Permintaan dikirim",
            Self::RequestEdited => "Permintaan diubah",
            Self::RequestWithdrawn => "Permintaan ditarik",
            Self::RequestApproved => "Permintaan disetujui produsen",
            Self::RequestRejected => "Permintaan ditolak produsen",
            Self::RequestBundled => "Permintaan diajukan dalam pengajuan",
            Self::RequestFreed => "Permintaan dikeluarkan dari pengajuan",
            Self::RequestInProgress => "Permintaan dalam proses personalisasi",
            Self::RequestDone => "Personalisasi permintaan selesai",
            Self::RequestReceived => "Kartu permintaan diterima",
            Self::SubmissionCreated => "Pengajuan dibuat",
            Self::SubmissionEdited => "Pengajuan diubah",
            Self::SubmissionRemoved => "Pengajuan dihapus",
            Self::SubmissionAccepted => "Pengajuan diterima Dukcapil",
            Self::SubmissionRejected => "Pengajuan ditolak Dukcapil",
            Self::SubmissionPersoStarted => "Personalisasi dimulai",
            Self::SubmissionDone => "Personalisasi selesai (Done)",
            Self::SubmissionReceived => "Penerimaan kartu dicatat",
            Self::PersoGenerated => "Data personalisasi dibuat",
            Self::PersoImported => "Data personalisasi diimpor",
            Self::PersoCleared => "Data personalisasi dihapus (Clear All)",
            Self::RunStarted => "Proses personalisasi dikirim ke stasiun",
            Self::RunRetry => "Kartu gagal diproses ulang",
            Self::RunFinished => "Stasiun menyelesaikan proses",
            Self::RunReclaimed => "Kartu dikirim ulang (stasiun tidak memberi kabar)",
            Self::CardOverride => "Status kartu diubah admin",
            Self::DocumentOrdered => "Dokumen dipesan",
            Self::RegistrationThrottled => "Pendaftaran akun ditolak sementara (terlalu banyak dari satu alamat)",
            Self::RegistrationEmailTaken => "Pendaftaran memakai email terdaftar (pemilik diberi tahu)",
            Self::RegistrationUsernameTaken => "Pendaftaran memakai username terpakai (pendaftar diberi tahu)",
            Self::LoginRefusedOrganisation => "Login ditolak: organisasi nonaktif",
            Self::OrganisationSessionsEnded => "Sesi pengguna organisasi nonaktif diakhiri",
            Self::StationOperatorsChanged => "Penugasan operator stasiun diubah",
            Self::RunRefusedStation => "Proses ditolak: stasiun tidak ditugaskan ke operator",
            Self::VerifyThrottled => "Unggah verifikasi dokumen ditolak sementara (terlalu banyak dari satu alamat)",
            Self::FaqCreated => "Pertanyaan FAQ ditambahkan",
            Self::FaqUpdated => "Pertanyaan FAQ diubah",
            Self::FaqMoved => "Urutan FAQ diubah",
            Self::FaqActivated => "Pertanyaan FAQ ditampilkan",
            Self::FaqDeactivated => "Pertanyaan FAQ disembunyikan",
            Self::FaqDeleted => "Pertanyaan FAQ dihapus",
            Self::WhatsappNumberChanged => "Nomor WhatsApp admin diubah",
            Self::AdminCreatedOnServer => "Admin dibuat dari server",
            Self::PasswordLinkIssued => "Tautan atur password dibuat",
            Self::PasswordSetByLink => "Password diatur lewat tautan",
            Self::Housekeeping => "Pembersihan data lama",
            Self::BackupMade => "Cadangan data dibuat",
            Self::ActivationFiled => "Permohonan aktivasi diajukan",
            Self::ActivationWithdrawn => "Permohonan aktivasi ditarik",
            Self::ActivationApproved => "Aktivasi disetujui, manifest terbit",
            Self::ActivationRejected => "Permohonan aktivasi ditolak",
            Self::ReaderRevoked => "Aktivasi card reader dicabut",
            Self::ActivationEdited => "Permohonan aktivasi diubah",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == code)
    }

    /// The label of a stored code; a code this version does not know is
    /// shown as a neutral phrase rather than as the code itself.
    #[must_use]
    pub fn label_of(code: &str) -> &'static str {
        Self::parse(code).map_or("Aktivitas lain", Self::label)
    }
}

/// One audit row under construction.
#[derive(Debug, Clone)]
pub struct Event {
    action: Action,
    subject_type: &'static str,
    subject_id: Option<i32>,
    subject_label: Option<String>,
    from_state: Option<String>,
    to_state: Option<String>,
    note: Option<String>,
}

impl Event {
    #[must_use]
    pub fn new(action: Action, subject_type: &'static str) -> Self {
        Self { action, subject_type, subject_id: None, subject_label: None, from_state: None, to_state: None, note: None }
    }

    #[must_use]
    pub fn subject(mut self, id: i32, label: impl Into<String>) -> Self {
        self.subject_id = Some(id);
        self.subject_label = Some(label.into());
        self
    }

    #[must_use]
    pub fn transition(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.from_state = Some(from.into());
        self.to_state = Some(to.into());
        self
    }

    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Writes the row on `conn`: pass the transaction of the change.
    ///
    /// # Errors
    /// When the insert fails; the caller's transaction then rolls back too.
    pub async fn record<C: ConnectionTrait>(self, conn: &C, actor: &Actor) -> AppResult<()> {
        ActiveModel {
            actor_id: Set(actor.id),
            actor_name: Set(actor.name.clone()),
            action: Set(self.action.as_str().to_string()),
            subject_type: Set(self.subject_type.to_string()),
            subject_id: Set(self.subject_id),
            subject_label: Set(self.subject_label),
            from_state: Set(self.from_state),
            to_state: Set(self.to_state),
            note: Set(self.note),
            ip: Set(actor.ip.clone()),
            created_at: Set(Utc::now().into()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        Ok(())
    }
}

/// One row of a timeline as a page shows it: every code turned into
/// Indonesian here, in one place.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub who: String,
    /// RFC 3339; templates format it in WIB (`tgl_jam`).
    pub when: String,
    pub action: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub to_code: String,
    pub note: String,
}

/// Subjects an audit row may be about: stored code → what a page calls it.
pub const SUBJECTS: [(&str, &str); 14] = [
    (super::requests::SUBJECT, "Permintaan"),
    (super::submissions::SUBJECT, "Pengajuan"),
    ("document", "Dokumen"),
    ("user", "Pengguna"),
    ("organisation", "Organisasi"),
    ("machine_type", "Jenis Mesin"),
    ("official", "Pejabat"),
    ("station", "Stasiun"),
    ("holiday", "Hari Libur"),
    (super::faq::SUBJECT, "FAQ"),
    (super::portal_settings::SUBJECT, "Pengaturan"),
    ("system", "Sistem"),
    (super::activations::SUBJECT, "Permohonan Aktivasi"),
    (super::activations::READER_SUBJECT, "Card Reader"),
];

/// What a page calls the subject `code` ("Subjek lain" when unknown: a
/// stored code never reaches a page).
#[must_use]
pub fn subject_label(code: &str) -> &'static str {
    SUBJECTS.iter().find(|(c, _)| *c == code).map_or("Subjek lain", |(_, label)| label)
}

impl Model {
    /// "Permintaan 470/A/2026": the subject's kind and its label.
    #[must_use]
    pub fn subject_shown(&self) -> String {
        format!("{} {}", subject_label(&self.subject_type), self.subject_label.clone().unwrap_or_default()).trim().to_string()
    }

    /// The label of a stored state of this row's machine.
    fn state_label(&self, code: &str) -> &'static str {
        use super::{cards, requests, submissions, users};
        let label = match (Action::parse(&self.action), self.subject_type.as_str()) {
            (Some(Action::CardOverride), _) => cards::Status::parse(code).map(cards::Status::label),
            (_, requests::SUBJECT) => requests::Status::parse(code).map(requests::Status::label),
            (_, submissions::SUBJECT) => submissions::Status::parse(code).map(submissions::Status::label),
            (_, "user") => users::Status::parse(code).map(users::Status::label),
            (_, super::activations::SUBJECT) => super::activations::RequestStatus::parse(code).map(super::activations::RequestStatus::label),
            (_, super::activations::READER_SUBJECT) => super::activations::ReaderStatus::parse(code).map(super::activations::ReaderStatus::label),
            _ => None,
        };
        label.unwrap_or(if code.is_empty() { "" } else { "—" })
    }

    #[must_use]
    pub fn entry(&self) -> Entry {
        Entry {
            who: self.actor_name.clone().unwrap_or_default(),
            when: self.created_at.to_rfc3339(),
            action: Action::label_of(&self.action),
            from: self.state_label(self.from_state.as_deref().unwrap_or_default()),
            to: self.state_label(self.to_state.as_deref().unwrap_or_default()),
            to_code: self.to_state.clone().unwrap_or_default(),
            note: self.note.clone().unwrap_or_default(),
        }
    }
}

/// Filters of the admin's audit page and export.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: super::paging::PageNo,
}

impl AuditFilter {
    fn query(&self) -> sea_orm::Select<Entity> {
        let mut q = Entity::find();
        if !self.actor.trim().is_empty() {
            q = q.filter(Column::ActorName.contains(self.actor.trim().to_lowercase()));
        }
        if !self.action.trim().is_empty() {
            q = q.filter(Column::Action.starts_with(self.action.trim()));
        }
        if !self.subject.trim().is_empty() {
            q = q.filter(Column::SubjectType.eq(self.subject.trim()));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(self.from.trim(), "%Y-%m-%d") {
            let start = d.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(crate::locale::wib());
            if let Some(start) = start.single() {
                q = q.filter(Column::CreatedAt.gte(start.with_timezone(&Utc)));
            }
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(self.to.trim(), "%Y-%m-%d") {
            let end = (d + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(crate::locale::wib());
            if let Some(end) = end.single() {
                q = q.filter(Column::CreatedAt.lt(end.with_timezone(&Utc)));
            }
        }
        q.order_by_desc(Column::Id)
    }

    /// One page of events, newest first, and where it sits in the list.
    ///
    /// # Errors
    /// On database failure.
    pub async fn page<C: ConnectionTrait>(&self, db: &C, per_page: u64) -> AppResult<(Vec<Model>, super::paging::Window)> {
        let window = super::paging::Window::new(self.page, per_page, self.query().count(db).await?);
        let rows = crate::models::paging::rows_in(db, self.query(), &window).await?;
        Ok((rows, window))
    }

    /// Every matching event, capped so an export cannot exhaust memory.
    ///
    /// # Errors
    /// On database failure.
    pub async fn all<C: ConnectionTrait>(&self, db: &C, cap: u64) -> AppResult<Vec<Model>> {
        Ok(self.query().limit(cap).all(db).await?)
    }
}
