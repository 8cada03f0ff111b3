//! Minimal async W3C WebDriver client for SI-FILMA's browser end-to-end tests.
//!
//! Rules:
//! - The test rig starts chromedriver and exports
//!   `SIFILMA_TEST_WEBDRIVER=http://127.0.0.1:<port>` (and `SIFILMA_TEST_CHROMIUM`,
//!   the chromium binary, default `/usr/bin/chromium`). Tests open a browser with
//!   [`Browser::from_env`]; when it returns `None` they print a skip message and return.
//! - Every [`Browser`] must be finished with [`Browser::close`]; close it even when the
//!   test body failed (run the body in an inner `async` block, close, then report).
//!   `Drop` cannot run async code: dropping an unclosed browser (a panicking assertion)
//!   only triggers a blocking best-effort cleanup that stalls the async runtime while
//!   chromium quits and cannot report errors.
//! - The client speaks plain HTTP/1.1 to chromedriver itself: one TCP connection per
//!   command, `Connection: close`, JSON bodies. Each command must answer within
//!   [`COMMAND_TIMEOUT`].
//! - [`Browser::find`] and [`Browser::accept_alert`] wait up to [`IMPLICIT_WAIT`];
//!   [`Browser::find_all`] does not wait. Use [`Browser::wait_for_text`] for content that
//!   appears later.
//! - A `window.confirm` (or `alert`) opened by an action must be answered with
//!   [`Browser::accept_alert`] as the very next command: chromedriver dismisses a dialog
//!   that is open when any other command arrives, and fails that command.
//!
//! ```ignore
//! let Some(browser) = Browser::from_env().await else {
//!     eprintln!("skipping: SIFILMA_TEST_WEBDRIVER is not set");
//!     return;
//! };
//! let browser = browser.expect("start browser");
//! let outcome = async {
//!     browser.goto("http://127.0.0.1:5150/login").await?;
//!     browser.find("#email").await?.send_keys("admin@example.com").await?;
//!     Ok::<_, WdError>(())
//! }
//! .await;
//! browser.close().await.expect("close browser");
//! outcome.expect("login page");
//! ```

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long [`Browser::find`] and [`Browser::accept_alert`] keep retrying.
pub const IMPLICIT_WAIT: Duration = Duration::from_secs(5);

/// Upper bound for one WebDriver command, page loads included.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Pause between two attempts while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The W3C "web element identifier" (WebDriver spec, section "Elements"): the key under
/// which an element reference travels in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A failed WebDriver command.
#[derive(Debug, Clone)]
pub struct WdError {
    /// The command, e.g. `POST /element`.
    pub command: String,
    /// The W3C error code (`no such element`, `no such alert`, ...), or `io`, `timeout`,
    /// `invalid response` for failures on this side.
    pub error: String,
    /// The WebDriver error message, or a description of the local failure.
    pub message: String,
}

impl WdError {
    /// A wait for `what` that gave up after `elapsed`.
    pub fn timeout(what: &str, elapsed: Duration) -> Self {
        Self::new("wait", "timeout", format!("{what}: not seen within {elapsed:?}"))
    }

    fn new(command: &str, error: &str, message: impl Into<String>) -> Self {
        Self { command: command.to_owned(), error: error.to_owned(), message: message.into() }
    }
}

impl fmt::Display for WdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webdriver {}: {}: {}", self.command, self.error, self.message)
    }
}

impl std::error::Error for WdError {}

/// Result of every WebDriver operation.
pub type Result<T> = std::result::Result<T, WdError>;

/// Where one WebDriver session lives; shared by the browser and its elements.
#[derive(Debug, Clone)]
struct Session {
    /// `host:port` of chromedriver.
    authority: String,
    /// URL path prefix of the WebDriver endpoint, empty or starting with `/`.
    base_path: String,
    id: String,
}

impl Session {
    /// Sends a command to `/session/{id}{path}`.
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let full_path = format!("{}/session/{}{}", self.base_path, self.id, path);
        let label = format!("{method} {}", if path.is_empty() { "/session" } else { path });
        command(&self.authority, method, &full_path, &label, body).await
    }

    fn element(&self, value: &Value, label: &str) -> Result<Element> {
        match value.get(ELEMENT_KEY).and_then(Value::as_str) {
            Some(id) => Ok(Element { session: self.clone(), id: id.to_owned() }),
            None => Err(WdError::new(label, "invalid response", format!("no element reference in {value}"))),
        }
    }
}

/// A chromium browser driven through one WebDriver session. Finish it with
/// [`Browser::close`].
#[derive(Debug)]
pub struct Browser {
    session: Session,
    /// The fresh `--user-data-dir`, removed by [`Browser::close`].
    profile_dir: PathBuf,
    /// Set by [`Browser::close`]; otherwise `Drop` cleans up.
    closed: bool,
}

impl Browser {
    /// Starts a browser on the chromedriver named by `SIFILMA_TEST_WEBDRIVER`; `None` when
    /// that variable is unset or empty (the test should then skip).
    pub async fn from_env() -> Option<Result<Browser>> {
        let url = std::env::var("SIFILMA_TEST_WEBDRIVER").ok().filter(|url| !url.trim().is_empty())?;
        Some(Browser::start(&url).await)
    }

    /// Opens a new session on the chromedriver at `webdriver_url` (`http://host:port`,
    /// optionally with a path prefix): headless chromium from `SIFILMA_TEST_CHROMIUM`
    /// (default `/usr/bin/chromium`), 1280x900, with a fresh profile in a unique
    /// temporary directory.
    pub async fn start(webdriver_url: &str) -> Result<Browser> {
        let label = "POST /session";
        let (authority, base_path) =
            split_url(webdriver_url).ok_or_else(|| WdError::new(label, "invalid argument", format!("not an http:// URL: {webdriver_url:?}")))?;
        let binary = std::env::var("SIFILMA_TEST_CHROMIUM").ok().filter(|path| !path.trim().is_empty()).unwrap_or_else(|| "/usr/bin/chromium".to_owned());
        let profile_dir = new_profile_dir().map_err(|e| WdError::new(label, "io", format!("creating profile directory: {e}")))?;
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--no-first-run",
                            "--disable-sync",
                            "--window-size=1280,900",
                            format!("--user-data-dir={}", profile_dir.display()),
                        ],
                    },
                },
            },
        });
        let path = format!("{base_path}/session");
        let id = command(&authority, "POST", &path, label, Some(capabilities)).await.and_then(|value| match value.get("sessionId").and_then(Value::as_str) {
            Some(id) => Ok(id.to_owned()),
            None => Err(WdError::new(label, "invalid response", format!("no sessionId in {value}"))),
        });
        match id {
            Ok(id) => Ok(Browser { session: Session { authority, base_path, id }, profile_dir, closed: false }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile_dir);
                Err(e)
            }
        }
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.session.cmd("POST", "/url", Some(json!({ "url": url }))).await.map(drop)
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> Result<String> {
        string(self.session.cmd("GET", "/url", None).await?, "GET /url")
    }

    /// The title of the current page.
    pub async fn title(&self) -> Result<String> {
        string(self.session.cmd("GET", "/title", None).await?, "GET /title")
    }

    /// The first element matching the CSS selector, retrying for up to [`IMPLICIT_WAIT`]
    /// while there is none.
    pub async fn find(&self, css: &str) -> Result<Element> {
        let deadline = Instant::now() + IMPLICIT_WAIT;
        loop {
            let found = self.session.cmd("POST", "/element", Some(locator(css))).await.and_then(|value| self.session.element(&value, "POST /element"));
            match found {
                Err(e) if e.error == "no such element" && Instant::now() < deadline => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                }
                other => return other,
            }
        }
    }

    /// All elements matching the CSS selector right now (possibly none; no waiting).
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let label = "POST /elements";
        match self.session.cmd("POST", "/elements", Some(locator(css))).await? {
            Value::Array(values) => values.iter().map(|value| self.session.element(value, label)).collect(),
            other => Err(WdError::new(label, "invalid response", format!("expected an array, got {other}"))),
        }
    }

    /// Waits up to `timeout` until an element matching `css` has visible text containing
    /// `text`, and returns that element.
    pub async fn wait_for_text(&self, css: &str, text: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut seen = Vec::new();
            for element in self.find_all(css).await? {
                match element.text().await {
                    Ok(found) if found.contains(text) => return Ok(element),
                    Ok(found) => seen.push(found),
                    // The page changed under us; look again. Chromium sometimes
                    // reports this as an inspector "unknown error".
                    Err(e) if e.error == "stale element reference" || e.message.contains("does not belong to the document") => {}
                    Err(e) => return Err(e),
                }
            }
            if Instant::now() >= deadline {
                return Err(WdError::new(
                    "wait_for_text",
                    "timeout",
                    format!("no {css:?} element contained {text:?} within {timeout:?}; texts seen: {seen:?}"),
                ));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The serialized DOM of the current page.
    pub async fn page_source(&self) -> Result<String> {
        string(self.session.cmd("GET", "/source", None).await?, "GET /source")
    }

    /// Runs `script` as the body of a synchronous function (`arguments[i]` are `args`)
    /// and returns its JSON result.
    pub async fn execute(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.session.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Resizes the browser window (outer size, in CSS pixels).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        let rect = json!({ "width": width, "height": height });
        self.session.cmd("POST", "/window/rect", Some(rect)).await.map(drop)
    }

    /// Saves a PNG screenshot of the viewport to `path`, creating parent directories.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let label = "GET /screenshot";
        let encoded = string(self.session.cmd("GET", "/screenshot", None).await?, label)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| WdError::new(label, "invalid response", format!("screenshot is not base64: {e}")))?;
        let path = path.as_ref();
        let io_error = |e: std::io::Error| WdError::new(label, "io", format!("writing {}: {e}", path.display()));
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        std::fs::write(path, png).map_err(io_error)
    }

    /// Accepts the open `window.confirm`/`alert` dialog, waiting up to [`IMPLICIT_WAIT`]
    /// for it to appear.
    pub async fn accept_alert(&self) -> Result<()> {
        let deadline = Instant::now() + IMPLICIT_WAIT;
        loop {
            match self.session.cmd("POST", "/alert/accept", Some(json!({}))).await {
                Err(e) if e.error == "no such alert" && Instant::now() < deadline => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                }
                other => return other.map(drop),
            }
        }
    }

    /// Deletes the session (chromedriver quits chromium) and removes the temporary
    /// profile directory. Tests must call this; see the module rules.
    pub async fn close(mut self) -> Result<()> {
        let deleted = self.session.cmd("DELETE", "", None).await.map(drop);
        // Chromium may still be flushing its profile for a moment after quitting;
        // removal is best effort.
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.profile_dir).is_ok() || !self.profile_dir.exists() {
                break;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        self.closed = true;
        deleted
    }
}

impl Drop for Browser {
    /// Safety net for a browser that was not closed (the test panicked): deletes the
    /// session with a blocking request, ignoring failures, and removes the profile.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let Session { authority, base_path, id } = &self.session;
        let request = format!("DELETE {base_path}/session/{id} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        if let Ok(mut stream) = std::net::TcpStream::connect(authority.as_str()) {
            let _ = stream.set_read_timeout(Some(COMMAND_TIMEOUT));
            // chromedriver answers once the session is gone; the answer itself is not needed.
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read(&mut [0; 512]);
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

/// An element of the page, valid while it stays in the DOM.
#[derive(Debug, Clone)]
pub struct Element {
    session: Session,
    id: String,
}

impl Element {
    /// Clicks the element (scrolled into view).
    pub async fn click(&self) -> Result<()> {
        self.post("click", json!({})).await
    }

    /// Types `text` into the element.
    pub async fn send_keys(&self, text: &str) -> Result<()> {
        self.post("value", json!({ "text": text })).await
    }

    /// Empties an input or textarea.
    pub async fn clear(&self) -> Result<()> {
        self.post("clear", json!({})).await
    }

    /// The rendered (visible) text of the element.
    pub async fn text(&self) -> Result<String> {
        string(self.session.cmd("GET", &self.path("text"), None).await?, "GET /element/<id>/text")
    }

    /// The named HTML attribute, `None` when absent. Attributes are markup, not live
    /// state: `value` stays the initial value after typing; read properties with
    /// [`Browser::execute`].
    pub async fn attr(&self, name: &str) -> Result<Option<String>> {
        let path = self.path(&format!("attribute/{name}"));
        match self.session.cmd("GET", &path, None).await? {
            Value::Null => Ok(None),
            Value::String(value) => Ok(Some(value)),
            other => Ok(Some(other.to_string())),
        }
    }

    fn path(&self, command: &str) -> String {
        format!("/element/{}/{command}", self.id)
    }

    async fn post(&self, command: &str, body: Value) -> Result<()> {
        self.session.cmd("POST", &self.path(command), Some(body)).await.map(drop)
    }
}

/// A CSS selector locator for the find commands.
fn locator(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

/// Takes the string out of a command's result.
fn string(value: Value, label: &str) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(WdError::new(label, "invalid response", format!("expected a string, got {other}"))),
    }
}

/// Splits `http://host[:port][/prefix]` into `host:port` and the path prefix without a
/// trailing slash.
fn split_url(url: &str) -> Option<(String, String)> {
    let rest = url.trim().strip_prefix("http://")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return None;
    }
    let authority = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    let path = path.trim_end_matches('/');
    Some((authority, if path.is_empty() { String::new() } else { format!("/{path}") }))
}

/// Creates a new, empty, uniquely named directory under the system temp directory.
fn new_profile_dir() -> std::io::Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("sifilma-e2e-chromium-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed),));
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

/// Sends one WebDriver command and unwraps the `value` of its JSON answer, turning W3C
/// error answers into [`WdError`]s.
async fn command(authority: &str, method: &str, path: &str, label: &str, body: Option<Value>) -> Result<Value> {
    let body = body.map(|body| body.to_string());
    let (status, bytes) = tokio::time::timeout(COMMAND_TIMEOUT, http(authority, method, path, body.as_deref()))
        .await
        .map_err(|_| WdError::new(label, "timeout", format!("no answer within {COMMAND_TIMEOUT:?}")))?
        .map_err(|e| WdError::new(label, "io", format!("http://{authority}{path}: {e}")))?;
    let answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let text = String::from_utf8_lossy(&bytes);
        WdError::new(label, "invalid response", format!("HTTP {status}, body is not JSON ({e}): {text}"))
    })?;
    let value = match answer {
        Value::Object(mut map) => map.remove("value").unwrap_or(Value::Null),
        other => other,
    };
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or_default();
        return Err(WdError::new(label, error, message));
    }
    if !(200..300).contains(&status) {
        return Err(WdError::new(label, "invalid response", format!("HTTP {status}: {value}")));
    }
    Ok(value)
}

/// One HTTP/1.1 exchange on a fresh connection: returns the status code and the body
/// (read by Content-Length, chunked transfer-encoding, or until the server closes).
async fn http(authority: &str, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, Vec<u8>)> {
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nAccept: application/json\r\n");
    let request = match body {
        Some(body) => format!("{head}Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}", body.len()),
        None => format!("{head}\r\n"),
    };
    let mut stream = TcpStream::connect(authority).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::new(stream);

    let status_line = read_line(&mut reader).await?;
    let status =
        status_line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| invalid(format!("bad HTTP status line {status_line:?}")))?;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let line = read_line(&mut reader).await?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.parse::<usize>().map_err(|_| invalid(format!("bad Content-Length {value:?}")))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }

    let mut body = Vec::new();
    if chunked {
        loop {
            let line = read_line(&mut reader).await?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                break; // Trailers, if any, are not needed; the connection is closed.
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).await?;
            read_line(&mut reader).await?; // The CRLF closing the chunk.
        }
    } else if let Some(length) = content_length {
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
    } else {
        reader.read_to_end(&mut body).await?;
    }
    Ok((status, body))
}

/// Reads one CRLF- (or LF-) terminated line, without the terminator.
async fn read_line(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).await?;
    if !line.ends_with(b"\n") {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed in the middle of the HTTP response"));
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}
