//! Roles and organisation kinds, and what each role may open.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
    Produsen,
    Lembaga,
    DukcapilKota,
}

impl Role {
    pub const ALL: [Self; 5] = [Self::Admin, Self::Operator, Self::Produsen, Self::Lembaga, Self::DukcapilKota];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Produsen => "produsen",
            Self::Lembaga => "lembaga",
            Self::DukcapilKota => "dukcapil_kota",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Admin => "Admin Dukcapil Pusat",
            Self::Operator => "Operator Data Center",
            Self::Produsen => "Produsen",
            Self::Lembaga => "Lembaga Pengguna",
            Self::DukcapilKota => "Dukcapil Kabupaten/Kota",
        }
    }

    /// The organisation kind an account of this role must belong to.
    #[must_use]
    pub const fn organisation_kind(self) -> OrgKind {
        match self {
            Self::Admin | Self::Operator => OrgKind::Pusat,
            Self::Produsen => OrgKind::Produsen,
            Self::Lembaga => OrgKind::Lembaga,
            Self::DukcapilKota => OrgKind::DukcapilKota,
        }
    }

    /// Self-registration is open to the organisations outside the registry.
    #[must_use]
    pub const fn for_kind(kind: OrgKind) -> Self {
        match kind {
            OrgKind::Pusat => Self::Operator,
            OrgKind::Produsen => Self::Produsen,
            OrgKind::Lembaga => Self::Lembaga,
            OrgKind::DukcapilKota => Self::DukcapilKota,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Pusat,
    Produsen,
    Lembaga,
    DukcapilKota,
}

impl OrgKind {
    pub const ALL: [Self; 4] = [Self::Pusat, Self::Produsen, Self::Lembaga, Self::DukcapilKota];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pusat => "pusat",
            Self::Produsen => "produsen",
            Self::Lembaga => "lembaga",
            Self::DukcapilKota => "dukcapil_kota",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pusat => "Dukcapil Pusat",
            Self::Produsen => "Produsen",
            Self::Lembaga => "Lembaga Pengguna",
            Self::DukcapilKota => "Dukcapil Kabupaten/Kota",
        }
    }
}

/// One entry of the left "MAIN NAVIGATION".
#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

const fn item(key: &'static str, label: &'static str, href: &'static str) -> NavItem {
    NavItem { key, label, href }
}

/// The seed's menu, filtered to what the role may use.
#[must_use]
pub fn navigation(role: Role) -> Vec<NavItem> {
    use Role::{Admin, DukcapilKota, Lembaga, Operator, Produsen};
    let all: [(NavItem, &[Role]); 12] = [
        (item("dashboard", "Dashboard", "/dashboard"), &Role::ALL),
        (item("permintaan", "Permintaan Personalisasi", "/permintaan"), &[Admin, Produsen, Lembaga, DukcapilKota]),
        (item("pengajuan", "Pengajuan SAM Rekam Cetak", "/pengajuan"), &[Admin, Produsen]),
        (item("personalisasi", "Proses Personalisasi", "/personalisasi"), &[Admin, Operator, Produsen]),
        (item("bast", "Cetak Dokumen BAST", "/bast"), &[Admin, Produsen, Lembaga, DukcapilKota]),
        (item("aktivasi", "Aktivasi Kartu SAM", "/aktivasi"), &[Admin, Produsen, Lembaga]),
        (item("master", "Master Data", "/master"), &[Admin]),
        (item("pengguna", "Pengguna", "/admin/pengguna"), &[Admin]),
        (item("audit", "Audit", "/admin/audit"), &[Admin]),
        (item("faq", "Frequent Asked Question", "/faq"), &Role::ALL),
        (item("reports", "Reports", "/reports"), &Role::ALL),
        (item("manual", "Manual", "/manual"), &Role::ALL),
    ];
    all.into_iter().filter(|(_, roles)| roles.contains(&role)).map(|(i, _)| i).collect()
}
