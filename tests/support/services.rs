//! The services a test needs (PostgreSQL, Redis, the SMTP sink,
//! chromedriver, the PC/SC rig, LibreOffice and the python readers).
//!
//! Rule: `bash .ci/test` starts them and exports their coordinates. Outside
//! it (plain `cargo test`) a test without its service skips with a loud
//! note; under `CI=true` a missing service is a failure, never a green skip.

/// True when the suite runs as CI (`CI=true`, also `CI=1`).
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// The service is missing: panics under `CI=true`, otherwise prints a loud
/// note (the caller then skips).
pub fn missing_service(service: &str, why: &str) {
    assert!(!ci(), "CI=true but {service} is not available ({why}); the tests that need it must not skip in CI — run the suite with `bash .ci/test`");
    eprintln!("SKIPPING (not under CI=true): {service} is not available ({why}); run the suite with `bash .ci/test`");
}

/// The value of `var` (non-empty), naming where `service` is. `None` after a
/// loud note when unset outside CI; panics when unset under `CI=true`.
pub fn require_service(service: &str, var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            missing_service(service, &format!("{var} is not set"));
            None
        }
    }
}

/// Like [`require_service`] for a local program: true when `program arg`
/// runs and succeeds.
pub fn require_program(service: &str, program: &str, arg: &str) -> bool {
    let ok = std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing_service(service, &format!("`{program} {arg}` did not run"));
    }
    ok
}
