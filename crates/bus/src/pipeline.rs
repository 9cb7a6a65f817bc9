//! The pipeline's topology and messages as the bus declares and sends them:
//! a [`WorkQueue`] from `govwire_model::pipeline` declared on the exchange
//! its role names in this deployment's configuration, and a pipeline
//! message built from its [`Envelope`].

use chrono::{DateTime, Utc};
use govwire_model::pipeline::{Envelope, ExchangeRole, WorkQueue, PIPELINE_CONTENT_TYPE};

use crate::{Bus, BusError, Message};

impl Bus {
    /// The configured name of the exchange `role` stands for.
    pub fn exchange_for(&self, role: ExchangeRole) -> &str {
        match role {
            ExchangeRole::Pipeline => &self.config().pipeline_exchange,
            ExchangeRole::Events => &self.config().events_exchange,
        }
    }

    /// Declares the exchanges and each of `queues` as a work queue bound as
    /// the pipeline describes it ([`Bus::declare_work_queue`]). Returns the
    /// full name of each queue, in order. Idempotent: every stage declares
    /// what it consumes and what it publishes into before it starts.
    pub async fn declare_stage_queues(
        &self,
        queues: &[WorkQueue],
    ) -> Result<Vec<String>, BusError> {
        self.declare_exchanges().await?;
        let mut names = Vec::with_capacity(queues.len());
        for queue in queues {
            let exchange = self.exchange_for(queue.exchange).to_owned();
            names.push(
                self.declare_work_queue(queue.name, &exchange, queue.bindings)
                    .await?,
            );
        }
        Ok(names)
    }

    /// A pipeline message on this deployment's pipeline exchange: `body`
    /// (JSON) with the routing key, id and kind of `envelope`.
    pub fn pipeline_message(
        &self,
        envelope: Envelope,
        body: Vec<u8>,
        timestamp: DateTime<Utc>,
    ) -> Message {
        Message {
            exchange: self.config().pipeline_exchange.clone(),
            routing_key: envelope.routing_key.to_owned(),
            message_id: envelope.message_id,
            body,
            content_type: PIPELINE_CONTENT_TYPE.to_owned(),
            kind: Some(envelope.kind.to_owned()),
            timestamp: Some(timestamp),
            headers: vec![],
        }
    }
}
