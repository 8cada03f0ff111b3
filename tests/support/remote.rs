//! A browser stand-in for a portal running as its own process (several
//! processes on one database): cookies kept by hand (production cookies are
//! `Secure`, the test speaks plain HTTP on loopback), the CSRF token taken
//! from each page, forms and multipart uploads.
use std::{collections::BTreeMap, time::Duration};

use reqwest::{multipart, redirect::Policy, Response};

use super::{csrf_in, PASSWORD};

pub struct Remote {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>` of the process this client talks to.
    pub base: String,
    cookies: BTreeMap<String, String>,
    pub csrf: Option<String>,
}

/// Status and body of an answer.
pub struct Answer {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl Remote {
    #[must_use]
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().redirect(Policy::none()).timeout(Duration::from_secs(30)).build().expect("http client");
        Self { http, base: base.to_string(), cookies: BTreeMap::new(), csrf: None }
    }

    /// The same cookies and token, sent to another process (behind a
    /// reverse proxy a browser does not know which process answers).
    #[must_use]
    pub fn to(&self, base: &str) -> Self {
        Self { http: self.http.clone(), base: base.to_string(), cookies: self.cookies.clone(), csrf: self.csrf.clone() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn absorb(&mut self, response: Response) -> Answer {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies.insert(name.trim().to_string(), v.to_string());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = response.text().await.unwrap_or_default();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        Answer { status, location, body }
    }

    /// # Errors
    /// When the process does not answer (killed, not started).
    pub async fn get(&mut self, path: &str) -> Result<Answer, reqwest::Error> {
        let response = self.http.get(format!("{}{path}", self.base)).header("cookie", self.cookie_header()).send().await?;
        Ok(self.absorb(response).await)
    }

    /// A urlencoded form with the current CSRF token.
    ///
    /// # Errors
    /// When the process does not answer.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Answer, reqwest::Error> {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        let response = self.http.post(format!("{}{path}", self.base)).header("cookie", self.cookie_header()).form(&all).send().await?;
        Ok(self.absorb(response).await)
    }

    /// A multipart form: the CSRF token first, then `texts`, then `files`
    /// (field, file name, bytes).
    ///
    /// # Errors
    /// When the process does not answer.
    pub async fn post_multipart(&mut self, path: &str, texts: &[(&str, String)], files: Vec<(&str, &str, Vec<u8>)>) -> Result<Answer, reqwest::Error> {
        let mut form = multipart::Form::new().text("_csrf", self.csrf.clone().unwrap_or_default());
        for (k, v) in texts {
            form = form.text((*k).to_string(), v.clone());
        }
        for (field, name, bytes) in files {
            form = form.part(field.to_string(), multipart::Part::bytes(bytes).file_name(name.to_string()));
        }
        let response = self.http.post(format!("{}{path}", self.base)).header("cookie", self.cookie_header()).multipart(form).send().await?;
        Ok(self.absorb(response).await)
    }

    /// Signs in through the login form and loads the dashboard.
    ///
    /// # Panics
    /// When the login is refused.
    pub async fn signed_in(base: &str, username: &str) -> Self {
        let mut client = Self::new(base);
        client.get("/login").await.expect("login page");
        let r = client.post("/login", &[("username", username), ("password", PASSWORD), ("next", "")]).await.expect("login");
        assert_eq!(r.status, 303, "login of {username} on {base}: {}", r.body);
        assert_eq!(client.get("/dashboard").await.expect("dashboard").status, 200);
        client
    }
}
