//! A RabbitMQ node of a test's own, for tests that stop and start the broker
//! (outages, restarts) without touching the shared one at 127.0.0.1:5672,
//! and a three-node cluster of a test's own ([`RabbitCluster`]) for tests
//! that stop one node of several.
//!
//! [`RabbitNode::start`] runs `rabbitmq-server` as a separate node
//! (`govwire-test-<pid>-<random>@localhost`) on free loopback ports, with its
//! data, logs, Erlang cookie and configuration in a temporary directory and
//! no plugins. [`RabbitNode::stop_app`] / [`RabbitNode::start_app`] take the
//! broker down and bring it back (the AMQP listener closes with it and every
//! connection is dropped) while the Erlang node and the data stay;
//! [`RabbitNode::stop`] / [`RabbitNode::start_again`] stop and restart the
//! whole node on the same port and data directory. Dropping the node kills
//! it, also when the test panics.
//!
//! The RabbitMQ scripts are found through `GOVWIRE_TEST_RABBITMQ_BIN` (a
//! directory holding `rabbitmq-server` and `rabbitmqctl`), else beside the
//! `rabbitmq-server` on the `PATH` (Debian's wrapper, which would switch to
//! the `rabbitmq` user, is looked through to the scripts it wraps). A node
//! that cannot be started is an error saying why, never a skipped test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The environment variable naming the directory of the RabbitMQ scripts.
pub const RABBITMQ_BIN_ENV: &str = "GOVWIRE_TEST_RABBITMQ_BIN";

/// How long a node may take to start (a loaded machine needs ten seconds or
/// more; a node that is not up after this is broken).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one `rabbitmqctl` command may take.
const CTL_TIMEOUT: Duration = Duration::from_secs(60);

/// A RabbitMQ node started for one test; killed when dropped.
pub struct RabbitNode {
    /// The Erlang node name (`<name>@localhost`), for `rabbitmqctl -n`.
    node: String,
    /// The AMQP port, on 127.0.0.1.
    port: u16,
    /// The Erlang distribution port, on 127.0.0.1.
    dist_port: u16,
    /// Where `rabbitmq-server` and `rabbitmqctl` are.
    bin: PathBuf,
    /// Data, logs, cookie and configuration; removed when dropped.
    dir: tempfile::TempDir,
    /// The running server, if started.
    server: Option<Child>,
}

impl std::fmt::Debug for RabbitNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitNode")
            .field("node", &self.node)
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl RabbitNode {
    /// Starts a fresh node and waits until it accepts connections.
    pub async fn start() -> Result<RabbitNode, String> {
        let [port, dist_port] = free_ports()?;
        let name = format!(
            "govwire-test-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let mut rabbit = RabbitNode::prepare(&name, port, dist_port, None)?;
        rabbit.start_again().await?;
        Ok(rabbit)
    }

    /// A node named `<name>@localhost` on `port` (AMQP) and `dist_port`
    /// (Erlang distribution) with its directory and files written, not
    /// started. `cookie` is the Erlang cookie it shares with the other
    /// nodes of its cluster; without one, Erlang makes one up.
    fn prepare(
        name: &str,
        port: u16,
        dist_port: u16,
        cookie: Option<&str>,
    ) -> Result<RabbitNode, String> {
        let bin = rabbitmq_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("govwire-rabbit-")
            .tempdir()
            .map_err(|error| format!("cannot create a directory for a test broker: {error}"))?;
        let node = format!("{name}@localhost");
        let mut files = vec![
            ("home/.keep", String::new()),
            ("enabled_plugins", "[].\n".to_owned()),
            ("rabbitmq-env.conf", String::new()),
            ("advanced.config", "[].\n".to_owned()),
            (
                "rabbitmq.conf",
                format!("listeners.tcp.1 = 127.0.0.1:{port}\n"),
            ),
        ];
        if let Some(cookie) = cookie {
            files.push(("home/.erlang.cookie", cookie.to_owned()));
        }
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
            }
            std::fs::write(&path, text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        }
        // Erlang refuses a cookie file others can read.
        let cookie_file = dir.path().join("home/.erlang.cookie");
        if cookie.is_some() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cookie_file, std::fs::Permissions::from_mode(0o400))
                .map_err(|error| format!("cannot protect {}: {error}", cookie_file.display()))?;
        }
        Ok(RabbitNode {
            node,
            port,
            dist_port,
            bin,
            dir,
            server: None,
        })
    }

    /// The AMQP URL of this node (user `guest`).
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// The AMQP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Erlang node name.
    pub fn node_name(&self) -> &str {
        &self.node
    }

    /// Stops the broker application (`rabbitmqctl stop_app`): the AMQP
    /// listener closes and every client connection is dropped; the node
    /// and its data stay, ready for [`RabbitNode::start_app`].
    pub async fn stop_app(&self) -> Result<(), String> {
        self.ctl(&["stop_app"]).await.map(drop)
    }

    /// Starts the broker application again after [`RabbitNode::stop_app`]:
    /// durable exchanges, queues and their messages are back; returns when
    /// the node accepts connections.
    pub async fn start_app(&self) -> Result<(), String> {
        self.ctl(&["start_app"]).await?;
        self.ctl(&["await_startup"]).await.map(drop)
    }

    /// Stops the whole node (`rabbitmqctl stop`) and waits for its process
    /// to end; [`RabbitNode::start_again`] starts it on the same port and
    /// data.
    pub async fn stop(&mut self) -> Result<(), String> {
        self.ctl(&["stop"]).await?;
        if let Some(mut server) = self.server.take() {
            match tokio::time::timeout(CTL_TIMEOUT, server.wait()).await {
                Ok(_) => {}
                Err(_) => {
                    let _ = server.start_kill();
                    return Err(format!("node {} did not exit after stop", self.node));
                }
            }
        }
        // Its pid may be reused; dropping the node must not kill that.
        let _ = std::fs::remove_file(self.path("node.pid"));
        Ok(())
    }

    /// Starts the node (again) on its port and data directory and waits
    /// until it accepts connections.
    pub async fn start_again(&mut self) -> Result<(), String> {
        if self.server.is_some() {
            return Err(format!("node {} is already running", self.node));
        }
        let pid_file = self.path("node.pid");
        let _ = std::fs::remove_file(&pid_file);
        let log_path = self.path("server.out");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|error| format!("cannot open {}: {error}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|error| format!("cannot open {}: {error}", log_path.display()))?;
        let mut command = self.command("rabbitmq-server");
        command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group, so that dropping the node can kill
            // the Erlang VM and every helper it started.
            .process_group(0)
            .kill_on_drop(true);
        let server = command.spawn().map_err(|error| {
            format!(
                "cannot run {}: {error}",
                self.bin.join("rabbitmq-server").display()
            )
        })?;
        self.server = Some(server);
        let pid_file = pid_file.display().to_string();
        let timeout = START_TIMEOUT.as_secs().to_string();
        let waited = tokio::time::timeout(
            START_TIMEOUT + Duration::from_secs(5),
            self.ctl_output(&["wait", &pid_file, "--timeout", &timeout]),
        )
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()));
        match waited {
            Ok(_) => Ok(()),
            Err(error) => {
                let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: String = tail
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                self.kill();
                Err(format!(
                    "the test broker {} on port {} did not start: {error}\n{tail}",
                    self.node, self.port
                ))
            }
        }
    }

    /// Runs `rabbitmqctl -n <node> <args>` (`list_queues name leader
    /// members`, `set_policy …`), returning its output or failing with it.
    pub async fn ctl(&self, args: &[&str]) -> Result<String, String> {
        tokio::time::timeout(CTL_TIMEOUT, self.ctl_output(args))
            .await
            .unwrap_or_else(|_| Err(format!("rabbitmqctl {args:?} took over {CTL_TIMEOUT:?}")))
    }

    /// Runs `rabbitmqctl -n <node> <args>` without a timeout of its own.
    async fn ctl_output(&self, args: &[&str]) -> Result<String, String> {
        let output = self
            .command("rabbitmqctl")
            .arg("-n")
            .arg(&self.node)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|error| {
                format!(
                    "cannot run {}: {error}",
                    self.bin.join("rabbitmqctl").display()
                )
            })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "rabbitmqctl -n {} {} failed ({}): {text}",
                self.node,
                args.join(" "),
                output.status
            ))
        }
    }

    /// A RabbitMQ script with this node's environment: its name, ports,
    /// directories and cookie, nothing inherited from the system's node.
    fn command(&self, script: &str) -> Command {
        let mut command = Command::new(self.bin.join(script));
        let dir = self.dir.path();
        command
            .current_dir(dir)
            .env("HOME", dir.join("home"))
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_PID_FILE", dir.join("node.pid"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("rabbitmq-env.conf"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir.join("advanced.config"))
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env("ERL_CRASH_DUMP", dir.join("log").join("erl_crash.dump"))
            .env_remove("ERL_FLAGS")
            .env_remove("RABBITMQ_USE_LONGNAME");
        command
    }

    /// A file in the node's directory.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Kills the node's process group at once (the VM and its helpers).
    fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            if let Some(pid) = server.id() {
                // The group's id is the server's pid (`process_group(0)`).
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = server.start_kill();
        }
        // The VM's own pid, in case it left the group.
        if let Ok(pid) = std::fs::read_to_string(self.path("node.pid")) {
            let pid = pid.trim();
            if !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()) {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", pid])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

impl Drop for RabbitNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where the RabbitMQ scripts are (see the module documentation).
fn rabbitmq_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(RABBITMQ_BIN_ENV) {
        let dir = PathBuf::from(dir);
        return if dir.join("rabbitmq-server").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "{RABBITMQ_BIN_ENV}={} holds no rabbitmq-server",
                dir.display()
            ))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("rabbitmq-server");
        if !candidate.is_file() {
            continue;
        }
        let real = std::fs::canonicalize(&candidate).unwrap_or(candidate);
        if let Some(parent) = real.parent().filter(|p| p.join("rabbitmqctl").is_file()) {
            if is_script(parent, "rabbitmq-server") {
                return Ok(parent.to_path_buf());
            }
        }
    }
    Err(format!(
        "a test needs its own RabbitMQ node, and no rabbitmq-server was found on the PATH; \
         install RabbitMQ (scripts/ensure-rabbitmq.sh) or set {RABBITMQ_BIN_ENV}"
    ))
}

/// Whether `dir/name` is the real RabbitMQ script, not Debian's wrapper
/// that runs it as another user (`rabbitmq-script-wrapper` is a symlink
/// target, so the canonical path names the wrapper; the real script sits
/// beside it).
fn is_script(dir: &Path, name: &str) -> bool {
    dir.join(name).is_file()
        && std::fs::read_to_string(dir.join(name))
            .map(|text| !text.contains("su rabbitmq"))
            .unwrap_or(false)
}

/// `N` distinct TCP ports on 127.0.0.1 that are free right now (all bound
/// at once, so none is handed out twice).
fn free_ports<const N: usize>() -> Result<[u16; N], String> {
    let listeners = (0..N)
        .map(|_| std::net::TcpListener::bind(("127.0.0.1", 0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("cannot find a free port on 127.0.0.1: {error}"))?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener
            .local_addr()
            .map_err(|error| format!("cannot find a free port on 127.0.0.1: {error}"))?
            .port();
    }
    Ok(ports)
}

/// How much memory one more node needs at least: an idle RabbitMQ 3.10
/// node takes 100 to 150 MiB, and a test's queues and messages more.
const NODE_MEMORY: u64 = 256 * 1024 * 1024;

/// Three RabbitMQ nodes of a test's own, joined into one cluster, on
/// loopback; every node is killed when the cluster is dropped (also when
/// the test panics).
pub struct RabbitCluster {
    /// The nodes; the second and third joined the first.
    nodes: Vec<RabbitNode>,
}

impl std::fmt::Debug for RabbitCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitCluster")
            .field("nodes", &self.nodes)
            .finish()
    }
}

impl RabbitCluster {
    /// How many nodes the cluster has.
    pub const SIZE: usize = 3;

    /// Whether this machine can run the cluster's nodes: RabbitMQ is
    /// installed and there is memory for them. The error says what is
    /// missing, for a test to print when it cannot run here.
    pub fn can_start() -> Result<(), String> {
        rabbitmq_bin()?;
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let available = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemAvailable:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024);
        let needed = NODE_MEMORY * Self::SIZE as u64;
        match available {
            Some(bytes) if bytes < needed => Err(format!(
                "{} MiB of memory are available and {} RabbitMQ nodes need about {} MiB",
                bytes / (1024 * 1024),
                Self::SIZE,
                needed / (1024 * 1024)
            )),
            _ => Ok(()),
        }
    }

    /// Starts three fresh nodes (`govwire-cluster-<pid>-<random>-{1,2,3}`)
    /// at once, joins the second and third to the first, and returns when
    /// all three run as one cluster.
    pub async fn start() -> Result<RabbitCluster, String> {
        let id = format!(
            "govwire-cluster-{}-{:06x}",
            std::process::id(),
            rand::random::<u32>() & 0xff_ffff
        );
        let cookie: String = (0..32)
            .map(|_| char::from(b'A' + rand::random::<u8>() % 26))
            .collect();
        let ports: [u16; 6] = free_ports()?;
        let mut nodes = (0..Self::SIZE)
            .map(|i| {
                RabbitNode::prepare(
                    &format!("{id}-{}", i + 1),
                    ports[2 * i],
                    ports[2 * i + 1],
                    Some(&cookie),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        {
            let [one, two, three] = nodes.as_mut_slice() else {
                unreachable!("the cluster has three nodes");
            };
            tokio::try_join!(one.start_again(), two.start_again(), three.start_again())?;
        }
        let first = nodes[0].node.clone();
        for node in &nodes[1..] {
            node.ctl(&["stop_app"]).await?;
            node.ctl(&["join_cluster", &first]).await?;
            node.start_app().await?;
        }
        let cluster = RabbitCluster { nodes };
        let running = cluster.running_nodes().await?;
        if running.len() != Self::SIZE {
            return Err(format!(
                "the test cluster's nodes did not join: {first} sees {running:?} running"
            ));
        }
        Ok(cluster)
    }

    /// The AMQP URLs of the nodes (user `guest`), in order: what
    /// `amqp.url` lists for the cluster.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RabbitNode::url).collect()
    }

    /// The node `i` (from 0).
    pub fn node(&self, i: usize) -> &RabbitNode {
        &self.nodes[i]
    }

    /// Which node (from 0) has the Erlang node name `name`
    /// (`rabbitmqctl`'s way of naming a node), if one does.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.node == name)
    }

    /// Which node (from 0) listens for AMQP on `port`, if one does.
    pub fn index_of_port(&self, port: u16) -> Option<usize> {
        self.nodes.iter().position(|node| node.port == port)
    }

    /// Stops the whole node `i` (its Erlang VM ends; its connections drop,
    /// its queue members go down, leaders on it move to the others) and
    /// waits for it to exit.
    pub async fn stop_node(&mut self, i: usize) -> Result<(), String> {
        self.nodes[i].stop().await
    }

    /// Starts node `i` again on its ports and data; returns when it runs
    /// and is back in the cluster.
    pub async fn start_node(&mut self, i: usize) -> Result<(), String> {
        self.nodes[i].start_again().await?;
        self.nodes[i].ctl(&["await_startup"]).await.map(drop)
    }

    /// Runs `rabbitmqctl <args>` on the first node that is running.
    pub async fn ctl(&self, args: &[&str]) -> Result<String, String> {
        let mut errors = Vec::new();
        for node in self.nodes.iter().filter(|node| node.server.is_some()) {
            match node.ctl(args).await {
                Ok(out) => return Ok(out),
                Err(error) => errors.push(error),
            }
        }
        Err(format!("no node of the test cluster answered: {errors:?}"))
    }

    /// The nodes the cluster reports running (Erlang node names).
    pub async fn running_nodes(&self) -> Result<Vec<String>, String> {
        let out = self
            .ctl(&["cluster_status", "--formatter", "json", "--quiet"])
            .await?;
        let status: serde_json::Value = out
            .lines()
            .find(|line| line.trim_start().starts_with('{'))
            .and_then(|line| serde_json::from_str(line).ok())
            .ok_or_else(|| format!("rabbitmqctl cluster_status printed no JSON: {out}"))?;
        Ok(status["running_nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|node| node.as_str().map(str::to_owned))
            .collect())
    }
}
