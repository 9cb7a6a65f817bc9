//! The store's behaviour, each test run on SQLite and on PostgreSQL.

mod alerts;
mod analytics;
mod archive;
mod archive_query;
mod connect;
mod crawl;
mod guards;
mod health;
mod kept;
mod leases;
mod notifier;
mod support;
mod withdrawals;
