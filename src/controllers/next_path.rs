//! Where the browser goes after login (`?next=`): parsed once into
//! [`NextPath`], which only ever holds a page of this portal — a path that
//! starts with a single `/`, has no control character, space or backslash,
//! and that a GET route of the router matches. Anything else means the
//! dashboard, so a crafted link can neither leave the site nor break the
//! `Location` header.
use std::sync::LazyLock;

use axum::http::Method;
use serde::{Deserialize, Deserializer};

/// Where a login lands when `next` is missing or not acceptable.
pub const DEFAULT: &str = "/dashboard";

/// The GET route patterns of the portal, split into segments (`{id}`
/// matches any one segment). Built from the router's own table, so a new
/// page is followed without a list to keep up to date.
static PAGES: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    super::routes()
        .collect()
        .into_iter()
        .filter(|r| r.actions.contains(&Method::GET))
        .map(|r| segments(&r.uri).map(str::to_string).collect::<Vec<_>>())
        // Going back to the login or registration form after logging in
        // makes no sense.
        .filter(|s| !matches!(s.first().map(String::as_str), Some("login" | "daftar")))
        .collect()
});

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn is_known_page(path: &str) -> bool {
    let wanted: Vec<&str> = segments(path).collect();
    PAGES.iter().any(|pattern| {
        pattern.len() == wanted.len()
            && pattern.iter().zip(&wanted).all(|(p, w)| if p.starts_with('{') && p.ends_with('}') { *w != "." && *w != ".." } else { p == w })
    })
}

/// A local page to go to after login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    /// The page `raw` names, when it is one of ours (see the module docs).
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let ok_chars = raw.chars().all(|c| c.is_ascii_graphic() && c != '\\');
        if !ok_chars || !raw.starts_with('/') || raw.starts_with("//") || raw.len() > 2000 {
            return None;
        }
        let path = raw.split(['?', '#']).next().unwrap_or_default();
        if path.contains("//") || !is_known_page(path) {
            return None;
        }
        Some(Self(raw.to_string()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value the login form carries on: the page, or nothing.
    #[must_use]
    pub fn or_empty(next: Option<&Self>) -> &str {
        next.map_or("", Self::as_str)
    }

    /// The target of `next`, or the dashboard.
    #[must_use]
    pub fn or_default(next: Option<&Self>) -> &str {
        next.map_or(DEFAULT, Self::as_str)
    }
}

/// Deserializes a form or query value into `Some` only when it is
/// acceptable; a bad value is dropped, never an error (the login form must
/// still work).
///
/// # Errors
/// Only when the value is not a string at all.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NextPath>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.as_deref().and_then(NextPath::parse))
}

#[cfg(test)]
mod tests {
    use super::NextPath;

    #[test]
    fn only_our_own_pages_are_followed() {
        for good in ["/dashboard", "/profil", "/permintaan/12", "/permintaan?status=approved&page=2", "/personalisasi/3/lihat"] {
            assert!(NextPath::parse(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "dashboard",
            "//evil.example/",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/x",
            "/\u{b}/x",
            "/\\evil.example",
            "/%09/evil.example",
            "https://evil.example/",
            "/tidak-ada",
            "/login",
            "/permintaan//12",
            "/permintaan/../..",
            "/dashboard\u{0}",
            "/profil ",
        ] {
            assert!(NextPath::parse(bad).is_none(), "{bad:?}");
        }
    }
}
