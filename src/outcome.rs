//! What a finished test came to ([`Outcome`]) and the conversion of test return values
//! ([`IntoTestResult`]).

use std::any::Any;
use std::fmt::Debug;

/// The panic payload as text, the way std's hook shows it.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// The result of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It passed.
    Passed,
    /// It failed; `message` is a note libtest prints under the output (e.g. a should_panic mismatch).
    Failed { message: Option<String> },
    /// It was not run.
    Ignored { reason: Option<&'static str> },
}

/// Return types a test function may have: `()` and `Result<(), E: Debug>`, as with libtest.
pub trait IntoTestResult {
    /// `Ok(())` for success, or the text libtest prints for the error (`Error: {e:?}`).
    fn into_test_result(self) -> Result<(), String>;
}

impl IntoTestResult for () {
    fn into_test_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Debug> IntoTestResult for Result<(), E> {
    fn into_test_result(self) -> Result<(), String> {
        self.map_err(|e| format!("Error: {e:?}"))
    }
}
