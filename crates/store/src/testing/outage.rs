//! Store outages for fault tests: a PostgreSQL database of the test's own,
//! owned by a login role of its own, which the test can lock out (as an
//! operator or a failover would) and let back in. The shared server stays
//! up for every other test.

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use super::POSTGRES_URL_ENV;
use super::{admin_connection, drop_database, Place, TestDb, DEFAULT_POSTGRES_ADMIN_URL};
use crate::Store;

/// A login role of a test's own, owning the test's database.
pub struct TestRole {
    /// The role's name (`govwire_role_<random>`).
    name: String,
    /// The database it owns, dropped before the role.
    database: String,
    /// Where to connect to alter and drop the role.
    admin_url: SecretString,
}

/// A fresh PostgreSQL database owned by a fresh login role, and a store
/// connected as that role. Lock the role with [`TestRole::lock_out`] to make
/// the store unavailable to whoever uses it (its connections are ended and
/// new logins refused), and [`TestRole::let_in`] to end the outage.
pub async fn fresh_postgres_with_own_role() -> (TestDb, TestRole) {
    let admin_url = SecretString::from(
        std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_string()),
    );
    let suffix = format!("{:016x}", rand::rng().random::<u64>());
    let role = format!("govwire_role_{suffix}");
    let name = format!("govwire_test_{suffix}");
    let mut admin = admin_connection(&admin_url).await;
    for statement in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("CREATE DATABASE {name} OWNER {role}"),
    ] {
        sqlx::query(&statement)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot run `{statement}` for a fault test: {e}"));
    }
    let mut url = url::Url::parse(admin_url.expose_secret())
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a URL: {e}"));
    url.set_username(&role)
        .unwrap_or_else(|()| panic!("{POSTGRES_URL_ENV} cannot carry a user name"));
    let _ = url.set_password(None);
    url.set_path(&format!("/{name}"));
    let url = SecretString::from(url.to_string());
    Store::init(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot migrate the fault test's database as {role}: {e:?}"));
    let store = Store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open the fault test's database as {role}: {e:?}"));
    (
        TestDb {
            store,
            url,
            place: Place::Postgres {
                admin_url: admin_url.clone(),
                name: name.clone(),
                dropped: false,
            },
        },
        TestRole {
            name: role,
            database: name,
            admin_url,
        },
    )
}

impl TestRole {
    /// The role's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses the role's logins (`ALTER ROLE … NOLOGIN`) and ends its open
    /// connections: from now on every use of a store connected as this role
    /// fails with "role … is not permitted to log in".
    pub async fn lock_out(&self) {
        self.admin(&format!("ALTER ROLE {} NOLOGIN", self.name))
            .await;
        self.admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{}'",
            self.name
        ))
        .await;
    }

    /// Lets the role log in again.
    pub async fn let_in(&self) {
        self.admin(&format!("ALTER ROLE {} LOGIN", self.name)).await;
    }

    async fn admin(&self, statement: &str) {
        let mut admin = admin_connection(&self.admin_url).await;
        sqlx::query(statement)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot run `{statement}`: {e}"));
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        // The database goes first: a role that owns one cannot be dropped.
        let admin_url = self.admin_url.clone();
        let database = self.database.clone();
        let role = self.name.clone();
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime
                .block_on(async {
                    drop_database(&admin_url, &database).await?;
                    let mut admin = admin_connection(&admin_url).await;
                    sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
                        .execute(&mut admin)
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .err()
        });
        if let Ok(Some(e)) = handle.join() {
            eprintln!("warning: could not drop a fault test's role: {e}");
        }
    }
}
