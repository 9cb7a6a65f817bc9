#!/usr/bin/env python3
"""govwire under combined faults: the driver of `make chaos`.

Starts a RabbitMQ node of the run's own (and, with --store postgres, a
PostgreSQL instance of its own), the fixture portal serving --replies
synthetic replies, a webhook receiver on loopback, and every daemon as its
own process with one configuration file. While the pipeline works it:

- SIGKILLs each of crawler, parser, notifier, archive, alerts and analytics
  three times at random moments and starts it again;
- restarts the broker node once, and PostgreSQL once (postgres variant);
- stalls one daemon for 60 s (SIGSTOP, then SIGCONT);
- edits and removes portal documents through the fixture's admin API.

Every fault is timed until the daemons it touched answer /readyz again.
When the faults are over it waits for the pipeline to settle, writes
manifest.json in the run directory and runs check.py, whose exit status is
the run's. Everything it starts is stopped on exit.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store import Store  # noqa: E402

DAEMONS = ["crawler", "parser", "notifier", "archive", "alerts", "analytics"]
OFFSET = {d: i + 1 for i, d in enumerate(DAEMONS)}
SECRET = "chaos-run-webhook-secret-0123456789abcdef"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

T0 = time.monotonic()


def now():
    return time.monotonic() - T0


def log(msg):
    print(f"[chaos {now():7.1f}s] {msg}", flush=True)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def free_port_block(width):
    """A base port such that base..base+width are all free."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        ok = True
        for p in range(base, base + width + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise SystemExit("chaos: no free block of ports on 127.0.0.1")


def call(method, url, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # connection refused, timeout
        return None, str(e).encode()


def rabbit_bin():
    server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
    d = Path(os.path.realpath(server)).parent
    if "su rabbitmq" in (d / "rabbitmq-server").read_text(errors="ignore") or not (d / "rabbitmqctl").exists():
        d = Path("/usr/lib/rabbitmq/bin")
    return d


class Rabbit:
    """A RabbitMQ node of the run's own (as scripts/cluster.sh starts one)."""

    def __init__(self, base):
        self.dir = base / "rabbit"
        self.port, self.dist = free_ports(2)
        self.node = f"govwire-chaos-{os.getpid()}@localhost"
        self.bin = rabbit_bin()
        self.proc = None
        (self.dir / "home").mkdir(parents=True, exist_ok=True)
        (self.dir / "log").mkdir(exist_ok=True)
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "advanced.config").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")

    def env(self):
        d = self.dir
        e = {k: v for k, v in os.environ.items() if k not in ("ERL_FLAGS", "RABBITMQ_USE_LONGNAME")}
        e.update({
            "HOME": str(d / "home"), "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist), "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"), "RABBITMQ_PID_FILE": str(d / "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1", "ERL_CRASH_DUMP": str(d / "log" / "erl_crash.dump"),
        })
        return e

    def ctl(self, *args, timeout=120):
        return subprocess.run([str(self.bin / "rabbitmqctl"), "-n", self.node, *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def start(self):
        (self.dir / "node.pid").unlink(missing_ok=True)
        out = open(self.dir / "log" / "server.out", "ab")
        self.proc = subprocess.Popen([str(self.bin / "rabbitmq-server")], env=self.env(), cwd=self.dir,
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        r = self.ctl("wait", str(self.dir / "node.pid"), "--timeout", "120", timeout=130)
        if r.returncode != 0:
            raise SystemExit(f"chaos: the RabbitMQ node did not start: {r.stdout}{r.stderr}")

    def stop(self):
        self.ctl("stop", timeout=120)
        if self.proc:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.proc = None

    def url(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2f"


class Postgres:
    """A PostgreSQL 15 instance of the run's own (initdb, pg_ctl), run as the postgres user when root."""

    def __init__(self, base):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        (self.port,) = free_ports(1)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *cmd, timeout=120):
        return subprocess.run([*self.as_user, *cmd], capture_output=True, text=True, timeout=timeout)

    def init(self):
        r = self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8")
        if r.returncode != 0:
            raise SystemExit(f"chaos: initdb failed: {r.stdout}{r.stderr}")

    def start(self):
        r = self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                     "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
                     "start")
        if r.returncode != 0:
            raise SystemExit(f"chaos: PostgreSQL did not start: {r.stdout}{r.stderr}")

    def stop_fast(self):
        return self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def stop(self):
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop")

    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/govwire"


class Receiver:
    """The webhook sink: records every delivery with its Idempotency-Key."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.seen = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                sig = self.headers.get("X-Govwire-Signature", "")
                try:
                    parts = dict(p.split("=", 1) for p in sig.split(","))
                    want = hmac.new(SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
                    valid = hmac.compare_digest(want, parts["v1"])
                except Exception:
                    valid = False
                try:
                    doc = json.loads(body)
                    event = doc.get("event") or {}
                    etype, subject = event.get("type"), event.get("subject")
                    digest = bool(doc.get("digest"))
                except Exception:
                    etype = subject = None
                    digest = False
                row = {"at": time.time(), "key": key, "valid_signature": valid, "type": etype, "subject": subject,
                       "digest": digest}
                with receiver.lock:
                    receiver.seen.append(row)
                    with open(receiver.path, "a") as f:
                        f.write(json.dumps(row, ensure_ascii=False) + "\n")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Run:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.repo = Path(__file__).resolve().parents[2]
        self.bin = self.repo / "target" / "release" / "govwire"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.dir = self.repo / "target" / "chaos" / f"{args.store}-{stamp}"
        self.dir.mkdir(parents=True)
        self.procs = {}
        self.fault_kills = set()  # pids we killed on purpose
        self.unexpected_exits = []
        self.lock = threading.Lock()
        self.daemon_locks = {d: threading.Lock() for d in DAEMONS}
        self.recoveries = []
        self.edits = {}  # item id -> list of {"at", "text"}
        self.removals = {}  # item id -> removal unix time
        self.stop_event = threading.Event()
        self.stalling = threading.Event()
        self.watchers = []
        self.rabbit = None
        self.pg = None
        self.portal = None

    # ------------------------------------------------------------ set up --
    def setup(self):
        a = self.args
        log(f"run directory {self.dir}")
        self.rabbit = Rabbit(self.dir)
        log(f"starting RabbitMQ node {self.rabbit.node} on 127.0.0.1:{self.rabbit.port}")
        self.rabbit.start()
        if a.store == "postgres":
            self.pg = Postgres(self.dir)
            log(f"starting PostgreSQL 15 on 127.0.0.1:{self.pg.port}, data {self.pg.data}")
            self.pg.init()
            self.pg.start()
            self.store_url = self.pg.url()
        else:
            self.store_url = f"sqlite://{self.dir}/govwire.db"
        self.portal_port, archive_port, analytics_port = free_ports(3)
        self.telemetry_base = free_port_block(6)
        self.archive_url = f"http://127.0.0.1:{archive_port}"
        self.receiver = Receiver(self.dir / "webhook.jsonl")
        self.portal_url = f"http://127.0.0.1:{self.portal_port}"
        self.portal = subprocess.Popen(
            [str(self.bin), "--log-format", "json", "fixture-portal", "--port", str(self.portal_port),
             "--scale", str(a.replies)],
            stdout=open(self.dir / "portal.out", "wb"), stderr=open(self.dir / "portal.log", "wb"))
        while call("GET", f"{self.portal_url}/robots.txt")[0] != 200:
            time.sleep(0.2)
        status, body = call("GET", f"{self.portal_url}/_admin/documents", timeout=30)
        self.documents = [d for d in json.loads(body) if d["is_reply"]]
        log(f"fixture portal on {self.portal_url} serving {len(self.documents)} replies")

        (self.dir / "portals").mkdir()
        profile = (self.repo / "config" / "portals" / "shpt.toml").read_text()
        profile = "\n".join("max_pages = 1000000" if l.startswith("max_pages =") else l for l in profile.splitlines())
        (self.dir / "portals" / "shpt.toml").write_text(profile + "\n")
        self.config = self.dir / "govwire.toml"
        self.config.write_text(f"""# The chaos run's configuration: every daemon reads this file.
[log]
format = "json"
level = "info"

[telemetry]
listen = "127.0.0.1:{self.telemetry_base}"

[amqp]
url = "{self.rabbit.url()}"

[store]
url = "{self.store_url}"

[crawler]
portals_dir = "portals"
user_agent = "govwire-chaos/0.1 (operator: chaos run on loopback)"
min_delay_ms = {a.min_delay_ms}
concurrency = 1
poll_interval_secs = 20
revisit_interval_secs = {a.revisit_secs}
revisit_min_interval_secs = 10
backoff_cap_secs = 10
instance_id = "chaos-crawler"
lease_ttl_secs = 30

[notifier]
outbox_interval_ms = 500
sweep_interval_secs = 5
withdraw_after_misses = {a.misses}
withdraw_grace_secs = {a.grace_secs}

[archive]
listen = "127.0.0.1:{archive_port}"

[analytics]
listen = "127.0.0.1:{analytics_port}"

[alerts]
rules_file = "alerts.toml"
""")
        (self.dir / "alerts.toml").write_text(f"""[[sinks]]
name = "receiver"
kind = "webhook"
url = "http://127.0.0.1:{self.receiver.port}/hook"
secret = "{SECRET}"
timeout_ms = 5000
max_attempts = 10
base_delay_ms = 200
max_delay_ms = 5000

[[rules]]
name = "everything"
sinks = ["receiver"]
""")
        r = subprocess.run([str(self.bin), "--config", str(self.config), "init"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"chaos: govwire init failed: {r.stdout}{r.stderr}")
        self.store = Store(self.store_url)

    # ----------------------------------------------------------- daemons --
    def start_daemon(self, name):
        logf = open(self.dir / f"{name}.log", "ab")
        p = subprocess.Popen(
            [str(self.bin), "--config", str(self.config), "--log-format", "json", name,
             "--base-url", f"shpt={self.portal_url}"],
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        self.procs[name] = p
        return p

    def ready(self, name):
        return call("GET", f"http://127.0.0.1:{self.telemetry_base + OFFSET[name]}/readyz", timeout=2)[0] == 200

    def wait_ready(self, names, limit=600):
        t = time.monotonic()
        pending = set(names)
        while pending and time.monotonic() - t < limit:
            pending = {n for n in pending if not self.ready(n)}
            if pending:
                time.sleep(0.1)
        return not pending

    def wait_unready(self, names, limit):
        t = time.monotonic()
        while time.monotonic() - t < limit:
            if any(not self.ready(n) for n in names):
                return True
            time.sleep(0.1)
        return False

    def supervise(self):
        """Starts again a daemon that exited without being killed by the run (as systemd would)."""
        while not self.stop_event.is_set():
            for name in DAEMONS:
                if not self.daemon_locks[name].acquire(blocking=False):
                    continue  # being killed or stalled on purpose
                try:
                    p = self.procs.get(name)
                    if p and p.poll() is not None and p.pid not in self.fault_kills:
                        self.unexpected_exits.append({"daemon": name, "at": now(), "code": p.returncode})
                        log(f"UNEXPECTED: {name} (pid {p.pid}) exited with {p.returncode}; starting it again")
                        self.start_daemon(name)
                finally:
                    self.daemon_locks[name].release()
            time.sleep(0.5)

    def work_done(self, name):
        """What a daemon has done so far: the crawler's HTTP exchanges, a consumer's acks."""
        status, body = call("GET", f"http://127.0.0.1:{self.telemetry_base + OFFSET[name]}/metrics", timeout=2)
        if status != 200:
            return None
        metric = "govwire_crawler_requests_total" if name == "crawler" else "govwire_consumer_acks_total"
        total = 0.0
        for line in body.decode(errors="replace").splitlines():
            if line.startswith(metric + "{") or line.startswith(metric + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def record(self, kind, target, started, ok, detail="", names=None):
        secs = time.monotonic() - started
        row = {"fault": kind, "target": target, "at": started - T0, "recovery_secs": round(secs, 2),
               "recovered": ok, "detail": detail, "progress_secs": None}
        with self.lock:
            self.recoveries.append(row)
        log(f"{kind} {target}: {'recovered' if ok else 'NOT recovered'} in {secs:.1f} s {detail}")
        names = names or [target]

        def progress():
            # Work resumed: a daemon the fault touched does something (within 60 s, else it had nothing to do).
            base = {n: self.work_done(n) for n in names}
            limit = time.monotonic() + 60
            while time.monotonic() < limit:
                for n in names:
                    done = self.work_done(n)
                    if done is not None and base[n] is not None and done > base[n]:
                        row["progress_secs"] = round(time.monotonic() - started, 2)
                        row["progress_by"] = n
                        return
                time.sleep(0.25)
        watcher = threading.Thread(target=progress, daemon=True)
        watcher.start()
        self.watchers.append(watcher)

    # ------------------------------------------------------------ faults --
    def kill(self, name):
        with self.daemon_locks[name]:
            p = self.procs[name]
            started = time.monotonic()
            self.fault_kills.add(p.pid)
            p.send_signal(signal.SIGKILL)
            p.wait()
            log(f"SIGKILL {name} (pid {p.pid}); starting it again")
            self.start_daemon(name)
            ok = self.wait_ready([name])
        self.record("kill", name, started, ok)

    def stall(self, name):
        with self.daemon_locks[name]:
            p = self.procs[name]
            log(f"SIGSTOP {name} (pid {p.pid}) for {self.args.stall_secs} s")
            self.stalling.set()
            p.send_signal(signal.SIGSTOP)
            time.sleep(self.args.stall_secs)
            p.send_signal(signal.SIGCONT)
            started = time.monotonic()
            log(f"SIGCONT {name}")
        ok = self.wait_ready([name])
        self.stalling.clear()
        self.record("stall", name, started, ok, f"(stalled {self.args.stall_secs} s, timed from SIGCONT)")

    def broker_restart(self):
        started = time.monotonic()
        log("stopping the RabbitMQ node")
        self.rabbit.stop()
        down = time.monotonic()
        self.wait_unready(DAEMONS, 5)
        log("starting the RabbitMQ node again")
        self.rabbit.start()
        back = time.monotonic()
        ok = self.wait_ready(DAEMONS)
        self.record("broker-restart", "rabbitmq", started, ok,
                    f"(node down {back - down:.1f} s, stop took {down - started:.1f} s)", DAEMONS)

    def pg_restart(self):
        started = time.monotonic()
        log(f"stopping PostgreSQL (pg_ctl stop -m fast) for {self.args.pg_down_secs} s")
        r = self.pg.stop_fast()
        if r.returncode != 0:
            log(f"pg_ctl stop failed: {r.stdout}{r.stderr}")
        down = time.monotonic()
        time.sleep(self.args.pg_down_secs)
        log("starting PostgreSQL again")
        self.pg.start()
        back = time.monotonic()
        ok = self.wait_ready(DAEMONS)
        self.record("postgres-restart", "postgresql", started, ok,
                    f"(stop took {down - started:.1f} s, down {back - down:.1f} s)", DAEMONS)

    # ------------------------------------------------ edits and removals --
    def archived_items(self):
        """Portal URLs whose reply has at least one archived version (asked again while the store is away)."""
        for _ in range(120):
            try:
                return self._archived_items()
            except Exception as e:
                log(f"reading the store failed ({str(e)[:120]}); trying again")
                time.sleep(1)
        return self._archived_items()

    def _archived_items(self):
        rows = self.store.rows(
            "SELECT u.url, r.current_version FROM reply_urls u JOIN archive_replies r ON r.reply_id = u.reply_id")
        return {url: int(v) for url, v in rows}

    def portal_changes(self, schedule):
        """Applies the scheduled edits and removals, each to a reply already archived."""
        by_url = {d["url"]: d["item_id"] for d in self.documents}
        twice = []
        for at, kind in schedule:
            while now() < at and not self.stop_event.is_set():
                time.sleep(0.2)
            archived = self.archived_items()
            taken = set(self.edits) | set(self.removals)
            choices = sorted(by_url[u] for u in archived if u in by_url and by_url[u] not in taken)
            if kind == "edit2":
                # A second edit, only once the first one is archived (else the two are one change).
                waited = time.monotonic()
                while True:
                    ready = [i for i in twice
                             if archived.get(self.url_of(i), 0) >= 2 and len(self.edits[i]) == 1]
                    if ready or time.monotonic() - waited > 300:
                        break
                    time.sleep(3)
                    archived = self.archived_items()
                if not ready:
                    log("no first edit archived in 300 s; second edit skipped")
                    continue
                item = self.rng.choice(ready)
            else:
                if not choices:
                    log(f"no archived reply to {kind} yet; skipped")
                    continue
                item = self.rng.choice(choices)
            if kind == "remove":
                status, body = call("DELETE", f"{self.portal_url}/_admin/documents/{item}")
                if status == 204:
                    self.removals[item] = time.time()
                    log(f"removed document {item}")
                else:
                    log(f"removing {item} failed: {status} {body[:200]!r}")
            else:
                text = f"（补充说明：第{len(self.edits.get(item, [])) + 1}次修订，编号{self.rng.randrange(10**8)}。）"
                status, body = call("PATCH", f"{self.portal_url}/_admin/documents/{item}", {"add_paragraph": text})
                if status == 200:
                    self.edits.setdefault(item, []).append({"at": time.time(), "text": text})
                    if kind == "edit" and len(twice) < self.args.edit_twice:
                        twice.append(item)
                    log(f"edited document {item} ({len(self.edits[item])} edit(s))")
                else:
                    log(f"editing {item} failed: {status} {body[:200]!r}")

    def url_of(self, item):
        return next(d["url"] for d in self.documents if d["item_id"] == item)

    # -------------------------------------------------------------- main --
    def settled(self):
        """Whether every expected effect is there: versions, withdrawals, an empty outbox."""
        archived = self.archived_items()
        urls = {d["item_id"]: d["url"] for d in self.documents}
        for item, url in urls.items():
            if item in self.removals:
                continue
            if archived.get(url, 0) < 1 + len(self.edits.get(item, [])):
                return False
        withdrawn = int(self.store.scalar(
            "SELECT COUNT(*) FROM archive_events WHERE event_type LIKE '%reply.withdrawn'") or 0)
        if withdrawn < len(self.removals):
            return False
        return int(self.store.scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") or 0) == 0

    def main(self):
        a = self.args
        self.setup()
        for name in ["parser", "notifier", "archive", "alerts", "analytics", "crawler"]:
            self.start_daemon(name)
        if not self.wait_ready(DAEMONS, 120):
            raise SystemExit("chaos: the daemons did not become ready")
        log("every daemon ready; faults begin")
        threading.Thread(target=self.supervise, daemon=True).start()

        window = a.fault_window
        faults = [(self.rng.uniform(5, window), "kill", d) for d in DAEMONS for _ in range(3)]
        faults.append((self.rng.uniform(window * 0.3, window * 0.7), "broker", None))
        if self.pg:
            faults.append((self.rng.uniform(window * 0.3, window * 0.9), "postgres", None))
        faults.sort(key=lambda f: f[0])
        stall_target = self.rng.choice(DAEMONS)
        stall_at = self.rng.uniform(window * 0.2, window * 0.6)
        changes = [(self.rng.uniform(30, window), "edit") for _ in range(a.edits)]
        changes += [(self.rng.uniform(30, window), "remove") for _ in range(a.removals)]
        changes.sort()
        changes += [(window * 0.6 + 10 * i, "edit2") for i in range(a.edit_twice)]
        plan = {"faults": [(round(t, 1), k, d) for t, k, d in faults], "stall": [round(stall_at, 1), stall_target]}
        (self.dir / "plan.json").write_text(json.dumps(plan, indent=1))
        log(f"plan: {len(faults)} faults in {window} s, stall of {stall_target} at {stall_at:.0f} s, "
            f"{a.edits} edits (+{a.edit_twice} second edits), {a.removals} removals")

        changer = threading.Thread(target=self.portal_changes, args=(changes,), daemon=True)
        changer.start()

        def stall_later():
            while now() < stall_at:
                time.sleep(0.2)
            self.stall(stall_target)
        staller = threading.Thread(target=stall_later, daemon=True)
        staller.start()

        for at, kind, target in faults:
            while now() < at:
                time.sleep(0.2)
            if kind == "kill":
                self.kill(target)
                continue
            # A restart of the broker or the database is timed over every
            # daemon: not while one of them is stalled.
            while self.stalling.is_set():
                time.sleep(0.5)
            if kind == "broker":
                self.broker_restart()
            else:
                self.pg_restart()
        staller.join()
        changer.join()
        log("faults over; waiting for the pipeline to settle")
        deadline = time.monotonic() + a.settle_secs
        while time.monotonic() < deadline:
            try:
                if self.settled():
                    break
            except Exception as e:  # the store busy: look again
                log(f"settle check: {e}")
            time.sleep(5)
        else:
            log(f"NOT settled after {a.settle_secs} s; checking anyway")
        # Let the last events reach every subscriber and the alerts webhook.
        time.sleep(15)
        for watcher in self.watchers:
            watcher.join()
        self.stop_event.set()
        queues = self.rabbit.ctl("list_queues", "-q", "name", "messages", "messages_unacknowledged")
        (self.dir / "queues.txt").write_text(queues.stdout + queues.stderr)
        with self.receiver.lock:
            pass
        manifest = {
            "store": a.store, "store_url": self.store_url, "replies": a.replies, "seed": a.seed,
            "portal_url": self.portal_url,
            "documents": [{"item_id": d["item_id"], "url": d["url"]} for d in self.documents],
            "edits": self.edits, "removals": self.removals, "grace_secs": a.grace_secs,
            "recoveries": self.recoveries, "unexpected_exits": self.unexpected_exits, "plan": plan,
            "rabbit_node": self.rabbit.node, "params": vars(a), "wall_secs": round(now(), 1),
        }
        (self.dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        log("checking")
        r = subprocess.run([sys.executable, str(Path(__file__).parent / "check.py"), str(self.dir)])
        return r.returncode

    def cleanup(self):
        self.stop_event.set()
        for name, p in self.procs.items():
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGCONT)
                    p.terminate()
                    p.wait(timeout=20)
                except Exception:
                    p.kill()
        if self.portal and self.portal.poll() is None:
            self.portal.terminate()
            self.portal.wait()
        if self.rabbit:
            try:
                self.rabbit.ctl("stop", timeout=60)
            except Exception:
                pass
            self.rabbit.kill()
        if self.pg:
            self.pg.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--replies", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--fault-window", type=int, default=300, help="seconds over which faults are spread")
    ap.add_argument("--stall-secs", type=int, default=60)
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--edit-twice", type=int, default=5)
    ap.add_argument("--removals", type=int, default=15)
    ap.add_argument("--min-delay-ms", type=int, default=120)
    ap.add_argument("--revisit-secs", type=int, default=60)
    ap.add_argument("--grace-secs", type=int, default=20)
    ap.add_argument("--misses", type=int, default=3)
    ap.add_argument("--settle-secs", type=int, default=600)
    ap.add_argument("--pg-down-secs", type=int, default=10, help="how long PostgreSQL stays stopped in its restart")
    args = ap.parse_args()
    run = Run(args)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        code = run.main()
    finally:
        log("stopping everything the run started")
        run.cleanup()
    log(f"run directory {run.dir}")
    sys.exit(code)


if __name__ == "__main__":
    main()
