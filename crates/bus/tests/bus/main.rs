//! The bus against the real RabbitMQ (127.0.0.1:5672, or
//! `GOVWIRE_TEST_AMQP_URL`). Every test uses its own exchanges and queue
//! prefix; queues expire on their own and exchanges are deleted at the end.

mod addresses;
mod cluster;
mod consume;
mod helpers;
mod holding;
mod outage;
mod publish;
mod recovery;
mod runner;
mod secrets;
mod stall;
mod topology;
mod unrouted;
