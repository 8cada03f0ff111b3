//! CPU-heavy work done for a request — password hashing, reading workbooks,
//! building documents and exports, signing — runs on the blocking pool at a
//! lower scheduling priority (nice [`NICE`]) than the threads that serve
//! pages and than the database's own processes. On two cores a burst of
//! logins or uploads otherwise takes the CPU from every page: measured on
//! PostgreSQL, 200 logins at once with card lists being read raised the
//! p99 of page views to 460 ms for the burst's ten seconds (60 ms after it).
//! The work still gets every idle cycle; it only yields to pages.
//!
//! A blocking-pool thread keeps the lower priority once it has run such
//! work (raising it back needs a privilege a service does not have): the
//! pool's other uses (file reads) wait on the disk, not on the CPU.

/// The niceness of heavy work (0 is normal, 19 the lowest); at 10 a busy
/// page thread gets about nine times the CPU of a busy hashing thread.
pub const NICE: i32 = 10;

/// Runs `work` on the blocking pool at the lower priority.
///
/// # Errors
/// When `work` panicked (as [`tokio::task::spawn_blocking`]).
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        lower_this_thread();
        work()
    })
    .await
}

/// The niceness of the calling thread.
#[must_use]
pub fn niceness_of_this_thread() -> i32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: reads the priority of the calling thread (its own id).
        // `getpriority` may legitimately answer -1, and errors cannot occur
        // for the caller's own id.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, this_thread()) }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(target_os = "linux")]
fn this_thread() -> libc::id_t {
    // SAFETY: `gettid` has no preconditions.
    libc::id_t::try_from(unsafe { libc::gettid() }).unwrap_or(0)
}

fn lower_this_thread() {
    thread_local! {
        static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    LOWERED.with(|lowered| {
        if !lowered.get() {
            #[cfg(target_os = "linux")]
            // SAFETY: sets the priority of the calling thread only (on Linux
            // a thread id names that thread alone); raising niceness needs
            // no privilege. A failure leaves the priority as it was.
            if niceness_of_this_thread() < NICE {
                unsafe {
                    libc::setpriority(libc::PRIO_PROCESS, this_thread(), NICE);
                }
            }
            lowered.set(true);
        }
    });
}
