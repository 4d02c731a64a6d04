//! Why a sandbox cannot start: a spec it cannot serve, or pinned data that
//! breaks the spec.

/// A problem found before serving; the message names the file, the item and
/// the field where it can.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The OpenAPI document cannot be read or served.
    #[error("spec: {0}")]
    Spec(String),
    /// Pinned data names an operation the spec has no list for.
    #[error("pinned data for {operation}: {problem}")]
    Operation {
        /// The operationId given.
        operation: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A pinned data file cannot be read, or an item in it breaks the item schema.
    #[error("{source_name}: {problem}")]
    Data {
        /// The file (or `items` for items given in code).
        source_name: String,
        /// What is wrong, with the item's index or line and the field.
        problem: String,
    },
}

impl From<SetupError> for std::io::Error {
    fn from(e: SetupError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}
