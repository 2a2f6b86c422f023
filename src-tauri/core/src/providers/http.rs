//! The HTTP client every provider uses: a connect timeout and a total
//! timeout on every request, so a hung provider never hangs Wicket.

use crate::error::{Error, Result};
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

pub fn client() -> Result<reqwest::Client> {
    client_with(CONNECT_TIMEOUT, TOTAL_TIMEOUT)
}

/// A client with other timeouts (tests use short ones).
pub fn client_with(connect: Duration, total: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .user_agent(concat!("Wicket/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}
