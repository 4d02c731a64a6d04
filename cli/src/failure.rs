//! Why a run failed, and the exit code it gives.

use std::io;

use ingo_banking::Error;

/// Why a run failed.
#[derive(Debug)]
pub enum Failure {
    /// The client or the API said no, or the network failed.
    Api(Error),
    /// The command line does not make a valid request.
    Usage(String),
    /// Writing the output failed.
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Api(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Api(e) => write!(f, "{e}"),
            Failure::Usage(message) => write!(f, "{message}"),
            Failure::Output(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl Failure {
    /// The process exit code: 2 usage, 1 the output could not be written, and
    /// for a failed call the client's table (`ingo_banking::FailureClass`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Output(_) => 1,
            Failure::Api(e) => e.class().exit_code(),
        }
    }

    /// Nothing to report: the reader of stdout went away (`ingo … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}
