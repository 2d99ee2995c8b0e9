//! Where tokens come from: Tarabut's token endpoint in production, a simulated one in the
//! token protocol's deterministic simulation (`shared/tests/token_sim.rs`).

use async_trait::async_trait;

use crate::identity::CustomerUserId;
use crate::tarabut::{MintedToken, TarabutClient, TarabutError};
use crate::time::Deadline;

#[async_trait]
pub trait TokenEndpoint: Send + Sync {
    /// Mints a token for the customer, giving up by `deadline`.
    async fn mint(
        &self,
        customer: &CustomerUserId,
        deadline: Deadline,
    ) -> Result<MintedToken, TarabutError>;
}

#[async_trait]
impl TokenEndpoint for TarabutClient {
    async fn mint(
        &self,
        customer: &CustomerUserId,
        deadline: Deadline,
    ) -> Result<MintedToken, TarabutError> {
        self.mint_token(customer, deadline).await
    }
}
