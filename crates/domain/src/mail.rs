//! An e-mail to send. Written to the job queue in the transaction that decides to send it, and
//! delivered by the mail worker, so a crash between the two loses nothing.

use serde::{Deserialize, Serialize};

/// The job kind that delivers an [`OutgoingMail`].
pub const JOB_KIND: &str = "mail.send";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    /// Plain text body.
    pub text: String,
}
