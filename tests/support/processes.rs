//! Portal processes as production runs them: `sifilma-cli start
//! --server-and-worker -e production` on a PostgreSQL database of the test's
//! own, the test command's Redis (a namespace of the test's own) and SMTP
//! sink, a shared upload directory. Each process logs to a file that is
//! printed when the test fails.
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::require_service;

/// What every portal process of one test shares.
pub struct Cluster {
    pub database_url: String,
    pub redis_url: String,
    /// Redis key prefix and mail domain of this test.
    pub namespace: String,
    pub upload_dir: PathBuf,
    pub smtp_port: String,
    logs: PathBuf,
}

impl Cluster {
    /// A fresh PostgreSQL database (not migrated) and the services'
    /// coordinates; `None` (a failure under `CI=true`) when a service is
    /// missing.
    pub async fn new() -> Option<Self> {
        let pg = require_service("PostgreSQL", "SIFILMA_TEST_PG_URL")?;
        let redis_url = require_service("Redis", "SIFILMA_TEST_REDIS_URL")?;
        let smtp_port = require_service("SMTP sink", "SIFILMA_TEST_SMTP_PORT")?;
        let namespace = format!("p{}", uuid::Uuid::new_v4().simple());
        let (root, _) = pg.rsplit_once('/').expect("database url with a name");
        let admin = sea_orm::Database::connect(format!("{root}/postgres")).await.expect("connect to postgres");
        sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {namespace}")).await.expect("create database");
        admin.close().await.unwrap();
        let scratch = std::env::temp_dir().join("sifilma-processes").join(&namespace);
        std::fs::create_dir_all(scratch.join("uploads")).unwrap();
        sifilma::models::activations::ActivationKey::generate().save(&scratch.join("activation.key")).unwrap();
        Some(Self { database_url: format!("{root}/{namespace}"), redis_url, upload_dir: scratch.join("uploads"), logs: scratch, namespace, smtp_port })
    }

    /// The address mails come from (its domain names this test's mails).
    #[must_use]
    pub fn mail_domain(&self) -> String {
        format!("{}.test", self.namespace)
    }

    /// Starts a portal process on a free port (web and worker).
    #[must_use]
    pub fn start(&self) -> Portal {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = self.logs.join(format!("portal-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_sifilma-cli"))
            .args(["start", "--server-and-worker", "-e", "production", "--binding", "127.0.0.1", "--port", &port.to_string()])
            .env("DATABASE_URL", &self.database_url)
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("LOG_LEVEL", "warn")
            .env("SMTP_HOST", "127.0.0.1")
            .env("SMTP_PORT", &self.smtp_port)
            .env("SMTP_SECURE", "false")
            .env("MAIL_FROM", format!("no-reply@{}", self.mail_domain()))
            .env("UPLOAD_DIR", &self.upload_dir)
            .env("ACTIVATION_KEY_PATH", self.logs.join("activation.key"))
            .env("STATIONS_REDIS_URL", &self.redis_url)
            .env("STATIONS_NAMESPACE", &self.namespace)
            .env("STATIONS_LEASE_SECS", "5")
            .env("DB_MAX_CONNECTIONS", "8")
            .env("QUEUE_MAX_CONNECTIONS", "3")
            .env_remove("SEED_DEMO")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start sifilma-cli");
        Portal { child: Some(child), port, base: format!("http://127.0.0.1:{port}"), log }
    }
}

pub struct Portal {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    log: PathBuf,
}

impl Portal {
    /// Waits until `/_readiness` answers 200.
    ///
    /// # Panics
    /// When the process exits or is not ready within `within`.
    pub async fn ready(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        let http = reqwest::Client::new();
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("portal {} exited during startup ({status}):\n{}", self.port, self.log_text());
            }
            if http.get(format!("{}/_readiness", self.base)).send().await.is_ok_and(|r| r.status().as_u16() == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "portal {} not ready after {within:?}:\n{}", self.port, self.log_text());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: the process dies at once, whatever it was doing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// SIGTERM, then the exit status (within `within`).
    ///
    /// # Panics
    /// When the process does not exit in time.
    pub async fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: sending a signal to our own child's pid.
        unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM) };
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                panic!("portal {} still running {within:?} after SIGTERM:\n{}", self.port, self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[must_use]
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.kill();
    }
}
