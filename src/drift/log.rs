//! The drift log: the whole aggregate, rewritten as NDJSON by a thread of
//! its own (no file I/O in a call) at most every [`EVERY`] when something
//! changed, and a last time when the observer is dropped. Each write goes to
//! a temporary file beside the log, renamed over it, so a reader never sees
//! half a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::State;

/// How often, at most, the log is rewritten.
const EVERY: Duration = Duration::from_secs(2);

/// Writes the log until dropped, then once more.
pub(super) struct Writer {
    /// Dropped to stop the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
    state: Arc<State>,
}

impl Writer {
    pub(super) fn start(path: PathBuf, state: Arc<State>) -> Result<Writer, crate::Error> {
        if path.file_name().is_none() {
            return Err(crate::Error::Configuration(format!(
                "drift log {path:?} does not name a file"
            )));
        }
        let (stop, stopped) = mpsc::channel();
        let (thread_path, thread_state) = (path.clone(), state.clone());
        let thread = std::thread::Builder::new()
            .name("ingo-drift-log".into())
            .spawn(move || run(&thread_path, &thread_state, &stopped));
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                // Then the log is written once, when the client is dropped.
                tracing::warn!(error = %e, "cannot start the drift log's writer");
                None
            }
        };
        Ok(Writer {
            stop: Some(stop),
            thread,
            path,
            state,
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.stop.take());
        match self.thread.take() {
            Some(thread) => {
                let _ = thread.join();
            }
            None => {
                if let Err(e) = write(&self.path, &self.state) {
                    warn(&self.path, &e);
                }
            }
        }
    }
}

fn run(path: &Path, state: &State, stop: &mpsc::Receiver<()>) {
    let mut warned = false;
    loop {
        let last = !matches!(stop.recv_timeout(EVERY), Err(RecvTimeoutError::Timeout));
        if let Err(e) = write(path, state)
            && !std::mem::replace(&mut warned, true)
        {
            warn(path, &e);
        }
        if last {
            return;
        }
    }
}

/// Rewrite the log if the aggregate changed since the last write.
fn write(path: &Path, state: &State) -> std::io::Result<()> {
    let Some(text) = state.changed_ndjson() else {
        return Ok(());
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
        state.mark_changed();
    }
    written
}

fn warn(path: &Path, error: &std::io::Error) {
    tracing::warn!(
        path = %path.display(),
        error = %error,
        "cannot write the drift log; drift is still observed"
    );
}
