//! The topology govwire declares on the broker: its exchanges (the events
//! exchange with its alternate exchange and bounded queue for unrouted
//! events, the pipeline exchange, the dead-letter exchange), its work
//! queues with their dead-letter queues, and the inspection and removal of
//! both.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};
use tracing::{info, warn};

use crate::config::dead_letter_queue_name;
use crate::connection::{close_channel, Bus};
use crate::error::{short, AmqpError, BusError};
use govwire_model::pipeline::{unrouted_exchange, UNROUTED_MAX_LENGTH, UNROUTED_QUEUE};

impl Bus {
    /// Declares the public events exchange (topic), the pipeline exchange
    /// (direct) and the dead-letter exchange `<prefix>.dlx` (direct), all
    /// durable. Idempotent.
    ///
    /// The events exchange has an alternate exchange,
    /// `<events exchange>.unrouted` (fanout), whose one queue
    /// `<prefix>.events.unrouted` (quorum, at most
    /// [`UNROUTED_MAX_LENGTH`] events, the oldest dropped first) keeps every
    /// event no subscriber's binding took. An events exchange declared
    /// before it had one (its arguments differ, which the broker refuses) is
    /// used as it is, with a warning saying how to give it one by policy.
    pub async fn declare_exchanges(&self) -> Result<(), BusError> {
        self.within("declaring exchanges", async {
            let config = &self.inner.config;
            let channel = self.open_channel().await?;
            let result = async {
                self.declare_unrouted(&channel).await?;
                declare_exchange(&channel, &config.pipeline_exchange, ExchangeKind::Direct).await?;
                declare_exchange(
                    &channel,
                    &config.dead_letter_exchange(),
                    ExchangeKind::Direct,
                )
                .await
            }
            .await;
            close_channel(&channel).await;
            result?;
            self.declare_events_exchange().await
        })
        .await
    }

    /// The alternate exchange of the events exchange and its bounded queue.
    async fn declare_unrouted(&self, channel: &Channel) -> Result<(), BusError> {
        let config = &self.inner.config;
        let exchange = unrouted_exchange(&config.events_exchange);
        let queue = config.queue_name(UNROUTED_QUEUE);
        declare_exchange(channel, &exchange, ExchangeKind::Fanout).await?;
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        args.insert(
            "x-max-length".into(),
            AMQPValue::LongLongInt(UNROUTED_MAX_LENGTH.into()),
        );
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString("drop-head".into()),
        );
        if let Some(expires) = config.queue_expires_ms {
            args.insert("x-expires".into(), AMQPValue::LongLongInt(expires.into()));
        }
        declare_queue(channel, &queue, args).await?;
        bind_queue(channel, &queue, &exchange, "").await
    }

    /// The events exchange with its alternate exchange; one declared
    /// without it is used as it is, with a warning.
    async fn declare_events_exchange(&self) -> Result<(), BusError> {
        let config = &self.inner.config;
        let alternate = unrouted_exchange(&config.events_exchange);
        let mut args = FieldTable::default();
        args.insert(
            "alternate-exchange".into(),
            AMQPValue::LongString(alternate.as_str().into()),
        );
        let channel = self.open_channel().await?;
        let declared =
            declare_exchange_with(&channel, &config.events_exchange, ExchangeKind::Topic, args)
                .await;
        close_channel(&channel).await;
        let Err(error) = declared else {
            return Ok(());
        };
        if !error.is_precondition_failed() {
            return Err(error);
        }
        // The broker closed the channel; look at the exchange on a new one.
        let channel = self.open_channel().await?;
        let exists = channel
            .exchange_declare(
                short("exchange name", &config.events_exchange)?,
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    passive: true,
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        close_channel(&channel).await;
        exists.map_err(|source| BusError::Declare {
            what: "exchange",
            name: config.events_exchange.clone(),
            source: AmqpError::from(source),
        })?;
        warn!(
            exchange = %config.events_exchange,
            alternate_exchange = %alternate,
            "The events exchange was declared without an alternate exchange, so events no subscriber queue takes are dropped. Give it one by policy (rabbitmqctl set_policy --apply-to exchanges govwire-unrouted '^{}$' '{{\"alternate-exchange\":\"{}\"}}'), or delete the exchange and restart govwire to declare it anew.",
            regex_escape(&config.events_exchange),
            alternate,
        );
        Ok(())
    }

    /// Declares the durable quorum work queue `<prefix>.<name>` and its
    /// dead-letter queue `<prefix>.<name>.dlq`, and binds the work queue to
    /// `exchange` with each routing key. Returns the full queue name.
    ///
    /// The work queue carries `x-delivery-limit` (a message that keeps
    /// failing is dead-lettered instead of looping), `x-dead-letter-exchange`
    /// `<prefix>.dlx` with its own name as `x-dead-letter-routing-key`, and
    /// `x-expires` when configured. The dead-letter queue is bound on the
    /// dead-letter exchange with the work queue's name. Declaring the same
    /// queue again with the same configuration is a no-op; declaring it with
    /// different arguments fails with [`BusError::Declare`].
    pub async fn declare_work_queue(
        &self,
        name: &str,
        exchange: &str,
        routing_keys: &[&str],
    ) -> Result<String, BusError> {
        self.within("declaring a work queue", async {
            if name.is_empty() {
                return Err(BusError::InvalidName {
                    what: "queue name",
                    value: String::new(),
                    reason: "a work queue needs a name".to_owned(),
                });
            }
            let config = &self.inner.config;
            let queue = config.queue_name(name);
            let dlq = dead_letter_queue_name(&queue);
            let dlx = config.dead_letter_exchange();
            // Validate every name before touching the broker.
            short("queue name", &dlq)?;
            short("exchange name", exchange)?;
            for key in routing_keys {
                short("routing key", key)?;
            }

            let channel = self.open_channel().await?;
            let result = async {
                // The dead-letter exchange may not be declared yet by this service.
                declare_exchange(&channel, &dlx, ExchangeKind::Direct).await?;

                let mut dlq_args = FieldTable::default();
                dlq_args.insert(
                    "x-queue-type".into(),
                    AMQPValue::LongString("quorum".into()),
                );
                if let Some(expires) = config.queue_expires_ms {
                    dlq_args.insert("x-expires".into(), AMQPValue::LongLongInt(expires.into()));
                }
                declare_queue(&channel, &dlq, dlq_args).await?;
                bind_queue(&channel, &dlq, &dlx, &queue).await?;

                let mut args = FieldTable::default();
                args.insert(
                    "x-queue-type".into(),
                    AMQPValue::LongString("quorum".into()),
                );
                args.insert(
                    "x-delivery-limit".into(),
                    AMQPValue::LongLongInt(config.delivery_limit.into()),
                );
                args.insert(
                    "x-dead-letter-exchange".into(),
                    AMQPValue::LongString(dlx.as_str().into()),
                );
                args.insert(
                    "x-dead-letter-routing-key".into(),
                    AMQPValue::LongString(queue.as_str().into()),
                );
                if let Some(expires) = config.queue_expires_ms {
                    args.insert("x-expires".into(), AMQPValue::LongLongInt(expires.into()));
                }
                declare_queue(&channel, &queue, args).await?;
                for key in routing_keys {
                    bind_queue(&channel, &queue, exchange, key).await?;
                }
                Ok::<(), BusError>(())
            }
            .await;
            close_channel(&channel).await;
            result?;
            info!(
                queue = %queue,
                exchange,
                routing_keys = ?routing_keys,
                "Declared work queue."
            );
            Ok(queue)
        })
        .await
    }

    /// How many messages are ready in `queue` (a full name), by a passive
    /// declare. Fails with [`BusError::Declare`] if the queue does not exist.
    /// For health checks, operators and tests.
    pub async fn queue_message_count(&self, queue: &str) -> Result<u32, BusError> {
        self.within("inspecting a queue", async {
            let name = short("queue name", queue)?;
            let channel = self.open_channel().await?;
            let result = channel
                .queue_declare(
                    name,
                    QueueDeclareOptions::default().passive(),
                    FieldTable::default(),
                )
                .await
                .map(|declared| declared.message_count())
                .map_err(|source| BusError::Declare {
                    what: "queue",
                    name: queue.to_owned(),
                    source: AmqpError::from(source),
                });
            close_channel(&channel).await;
            result
        })
        .await
    }

    /// Deletes `queue` (a full name) and its messages; a queue that does not
    /// exist is not an error. Returns how many messages it held. For
    /// operators retiring a subscriber, and for tests that clean up after
    /// themselves (a quorum queue holds broker file handles until deleted).
    pub async fn delete_queue(&self, queue: &str) -> Result<u32, BusError> {
        self.within("deleting a queue", async {
            let name = short("queue name", queue)?;
            let channel = self.open_channel().await?;
            let result = channel
                .queue_delete(name, QueueDeleteOptions::default())
                .await
                .map_err(|source| BusError::Declare {
                    what: "queue",
                    name: queue.to_owned(),
                    source: AmqpError::from(source),
                });
            close_channel(&channel).await;
            result
        })
        .await
    }

    /// Deletes `exchange`; one that does not exist is not an error.
    pub async fn delete_exchange(&self, exchange: &str) -> Result<(), BusError> {
        self.within("deleting an exchange", async {
            let name = short("exchange name", exchange)?;
            let channel = self.open_channel().await?;
            let result = channel
                .exchange_delete(name, ExchangeDeleteOptions::default())
                .await
                .map_err(|source| BusError::Declare {
                    what: "exchange",
                    name: exchange.to_owned(),
                    source: AmqpError::from(source),
                });
            close_channel(&channel).await;
            result
        })
        .await
    }

    /// Undoes [`Bus::declare_work_queue`]: deletes `<prefix>.<name>` and its
    /// dead-letter queue, with their messages. Queues that do not exist are
    /// not an error.
    pub async fn delete_work_queue(&self, name: &str) -> Result<(), BusError> {
        let queue = self.inner.config.queue_name(name);
        self.delete_queue(&dead_letter_queue_name(&queue)).await?;
        self.delete_queue(&queue).await?;
        Ok(())
    }

    /// Undoes [`Bus::declare_exchanges`]: deletes the events exchange, its
    /// alternate exchange and queue (with the events it kept), the pipeline
    /// and the dead-letter exchanges of this configuration.
    pub async fn delete_exchanges(&self) -> Result<(), BusError> {
        let config = &self.inner.config;
        self.delete_exchange(&config.events_exchange).await?;
        self.delete_queue(&config.queue_name(UNROUTED_QUEUE))
            .await?;
        self.delete_exchange(&unrouted_exchange(&config.events_exchange))
            .await?;
        self.delete_exchange(&config.pipeline_exchange).await?;
        self.delete_exchange(&config.dead_letter_exchange()).await
    }
}

/// Declares a durable exchange.
async fn declare_exchange(
    channel: &Channel,
    name: &str,
    kind: ExchangeKind,
) -> Result<(), BusError> {
    declare_exchange_with(channel, name, kind, FieldTable::default()).await
}

/// A regular expression matching exactly `name`, for a policy's pattern.
fn regex_escape(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            let escape = "\\.+*?()|[]{}^$".contains(c);
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Declares a durable exchange with `args`.
async fn declare_exchange_with(
    channel: &Channel,
    name: &str,
    kind: ExchangeKind,
    args: FieldTable,
) -> Result<(), BusError> {
    let exchange = short("exchange name", name)?;
    channel
        .exchange_declare(
            exchange,
            kind,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            args,
        )
        .await
        .map_err(|source| {
            let error = BusError::Declare {
                what: "exchange",
                name: name.to_owned(),
                source: AmqpError::from(source),
            };
            warn!(%error, "Failed to declare exchange.");
            error
        })
}

/// Declares a durable queue with `args`.
async fn declare_queue(channel: &Channel, name: &str, args: FieldTable) -> Result<(), BusError> {
    let queue = short("queue name", name)?;
    channel
        .queue_declare(queue, QueueDeclareOptions::durable(), args)
        .await
        .map(|_| ())
        .map_err(|source| {
            let error = BusError::Declare {
                what: "queue",
                name: name.to_owned(),
                source: AmqpError::from(source),
            };
            warn!(%error, "Failed to declare queue.");
            error
        })
}

/// Binds `queue` to `exchange` with `key`.
pub(crate) async fn bind_queue(
    channel: &Channel,
    queue: &str,
    exchange: &str,
    key: &str,
) -> Result<(), BusError> {
    channel
        .queue_bind(
            short("queue name", queue)?,
            short("exchange name", exchange)?,
            short("routing key", key)?,
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|source| {
            let error = BusError::Declare {
                what: "binding",
                name: format!("{queue} <- {exchange}/{key}"),
                source: AmqpError::from(source),
            };
            warn!(%error, "Failed to bind queue.");
            error
        })
}
