//! `Sandbox::builder()`: a sandbox from a spec of one's own, with pinned data.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{PinnedSource, Sandbox, SandboxConfig, SetupError};

/// Builds a [`Sandbox`]; every setting not given is [`SandboxConfig::default`]'s.
///
/// ```
/// use ingo_sandbox::Sandbox;
/// use serde_json::json;
///
/// let sandbox = Sandbox::builder()
///     .seed(7)
///     .items_per_operation(40)
///     .data_items("list_contacts", vec![json!({"id": "bcus-1", "email": "jane@example.com"})])
///     .start()?;
/// assert!(sandbox.base_url().ends_with("/api/v4"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SandboxBuilder {
    config: SandboxConfig,
    spec_file: Option<PathBuf>,
}

impl SandboxBuilder {
    /// Starts from `config` (its spec and data are kept unless set again).
    pub fn config(mut self, config: SandboxConfig) -> SandboxBuilder {
        self.config = config;
        self
    }

    /// Serves this OpenAPI document (YAML or JSON text) instead of the client's.
    pub fn spec(mut self, text: impl Into<String>) -> SandboxBuilder {
        self.config.spec = Some(text.into());
        self.spec_file = None;
        self
    }

    /// Serves the OpenAPI document in this file (YAML or JSON), read at start.
    pub fn spec_file(mut self, path: impl AsRef<Path>) -> SandboxBuilder {
        self.spec_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Pins the items of list operation `operation_id` to a JSON array or NDJSON file.
    pub fn data(
        mut self,
        operation_id: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> SandboxBuilder {
        let source = PinnedSource::File(path.as_ref().to_path_buf());
        self.config.data.push((operation_id.into(), source));
        self
    }

    /// Pins the items of list operation `operation_id` to these.
    pub fn data_items(
        mut self,
        operation_id: impl Into<String>,
        items: Vec<Value>,
    ) -> SandboxBuilder {
        self.config
            .data
            .push((operation_id.into(), PinnedSource::Items(items)));
        self
    }

    /// The seed of every generated value.
    pub fn seed(mut self, seed: u64) -> SandboxBuilder {
        self.config.seed = seed;
        self
    }

    /// How many items each list operation with generated data serves.
    pub fn items_per_operation(mut self, n: u64) -> SandboxBuilder {
        self.config.items_per_operation = n;
        self
    }

    /// The TCP port on 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> SandboxBuilder {
        self.config.port = port;
        self
    }

    /// Starts the sandbox (see [`Sandbox::start_with`]).
    pub fn start(mut self) -> std::io::Result<Sandbox> {
        if let Some(path) = &self.spec_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SetupError::Spec(format!("{}: cannot read: {e}", path.display())))?;
            self.config.spec = Some(text);
        }
        Sandbox::start_with(self.config)
    }
}
