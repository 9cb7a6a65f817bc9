#!/usr/bin/env python3
"""The verdict of a chaos run: reads the run directory scripts/chaos/run.py
wrote (manifest.json, webhook.jsonl, queues.txt) and the run's store, prints
each check with what it found, the recovery times, and exits 1 when any
check fails.

Usage: scripts/chaos/check.py RUN_DIR
"""

import json
import statistics
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store import Store  # noqa: E402


def instant(text):
    """RFC 3339 with up to nine fractional digits, as unix seconds."""
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        cut = min([i for i in (tail.find("+"), tail.find("-")) if i >= 0], default=len(tail))
        text = f"{head}.{(tail[:cut] + '000000')[:6]}{tail[cut:]}"
    return datetime.fromisoformat(text).timestamp()


def short(values, n=8):
    values = list(values)
    more = f" … and {len(values) - n} more" if len(values) > n else ""
    return ", ".join(str(v) for v in values[:n]) + more


def main():
    run = Path(sys.argv[1])
    m = json.loads((run / "manifest.json").read_text())
    store = Store(m["store_url"])
    pg = m["store_url"].startswith("postgres")
    results = []

    def check(name, ok, detail):
        results.append((name, ok))
        print(f"[{'PASS' if ok else 'FAIL'}] {name}: {detail}")

    docs = {d["item_id"]: d["url"] for d in m["documents"]}
    edits = {k: len(v) for k, v in m["edits"].items()}
    removals = m["removals"]
    url_reply = dict(store.rows("SELECT url, reply_id FROM reply_urls"))
    reply_of = {item: url_reply.get(url) for item, url in docs.items()}
    item_of = {r: i for i, r in reply_of.items() if r}
    print(f"run {run.name}: {len(docs)} portal replies, {sum(edits.values())} edits of {len(edits)} replies "
          f"({short(sorted(edits))}), {len(removals)} removals ({short(sorted(removals))})")

    # 1. Every reply archived exactly once per version.
    versions = Counter(r for (r,) in store.rows("SELECT reply_id FROM archive_versions"))
    notifier_versions = Counter(r for (r,) in store.rows("SELECT reply_id FROM reply_versions"))
    unmapped = sorted(i for i, r in reply_of.items() if not r)
    wrong = []
    for item, reply in reply_of.items():
        if not reply:
            continue
        want = 1 + edits.get(item, 0)
        if versions.get(reply, 0) != want:
            wrong.append(f"{item} ({reply}): {versions.get(reply, 0)} archived, {want} expected")
    strays = sorted(set(versions) - set(item_of))
    dup_content = store.rows(
        "SELECT reply_id, content_sha256, COUNT(*) FROM archive_versions GROUP BY reply_id, content_sha256 "
        "HAVING COUNT(*) > 1")
    mismatch = sorted(r for r in set(versions) | set(notifier_versions) if versions[r] != notifier_versions[r])
    check("1. every reply archived exactly once per version",
          not unmapped and not wrong and not strays and not dup_content and not mismatch,
          f"{len(versions)} replies, {sum(versions.values())} versions archived; "
          f"{len(unmapped)} portal replies never archived ({short(unmapped)}); "
          f"{len(wrong)} with a wrong version count ({short(wrong, 5)}); {len(strays)} archived replies not on "
          f"the portal; {len(dup_content)} versions archived twice with the same content; "
          f"{len(mismatch)} replies whose archive and notifier version counts differ ({short(mismatch, 5)})")

    # 2. No event id changed anything twice in any subscriber.
    archive_events = store.rows("SELECT event_id, event_type, reply_id, version FROM archive_events")
    analytics_ids = [e for (e,) in store.rows("SELECT event_id FROM analytics_events")]
    version_events = [e for (e,) in store.rows("SELECT event_id FROM archive_versions")]
    log_ids = [e for (e,) in store.rows("SELECT event_id FROM archive_event_log")]
    delivery_rows = store.rows("SELECT rule, event_id, sink, status FROM alert_deliveries")
    outbox = store.rows(
        "SELECT event_id, event_type, created_at, published_at, "
        + ("convert_from(body, 'UTF8')::jsonb->>'subject'" if pg else "json_extract(CAST(body AS TEXT), '$.subject')")
        + " FROM outbox")
    problems = []
    for name, ids in [("archive_events", [e[0] for e in archive_events]), ("analytics_events", analytics_ids),
                      ("archive_versions.event_id", version_events), ("archive_event_log", log_ids),
                      ("outbox", [o[0] for o in outbox]),
                      ("alert_deliveries (rule, event, sink)", [(r, e, s) for r, e, s, _ in delivery_rows])]:
        dups = [k for k, n in Counter(ids).items() if n > 1]
        if dups:
            problems.append(f"{name}: {len(dups)} ids twice ({short(dups, 3)})")
    same_decision = [k for k, n in Counter((t, r, v) for _, t, r, v in archive_events
                                           if not t.endswith(("withdrawn", "restored"))).items() if n > 1]
    if same_decision:
        problems.append(f"archive took {len(same_decision)} (type, reply, version) under two event ids "
                        f"({short(same_decision, 3)})")
    reply_outbox = {o[0] for o in outbox if ".reply." in o[1]}
    archive_ids = {e[0] for e in archive_events}
    for name, ids in [("archive", archive_ids), ("analytics", set(analytics_ids))]:
        if ids != reply_outbox:
            problems.append(f"{name} took {len(ids - reply_outbox)} events the notifier did not publish and "
                            f"misses {len(reply_outbox - ids)} it did")
    delivered = {e for _, e, _, s in delivery_rows if s == "sent"}
    failed = [e for _, e, _, s in delivery_rows if s != "sent"]
    all_outbox = {o[0] for o in outbox}
    if delivered != all_outbox:
        problems.append(f"alerts delivered {len(delivered - all_outbox)} unknown events and missed "
                        f"{len(all_outbox - delivered)}")
    if failed:
        problems.append(f"{len(failed)} alert deliveries recorded as failed")
    check("2. no event id changed anything twice in any subscriber", not problems,
          f"{len(outbox)} events published; archive took {len(archive_ids)}, analytics {len(analytics_ids)}, "
          f"alerts recorded {len(delivery_rows)} deliveries; " + ("; ".join(problems) or "no duplicates"))

    # 3. No double alert delivery.
    seen = [json.loads(line) for line in (run / "webhook.jsonl").read_text().splitlines()] \
        if (run / "webhook.jsonl").exists() else []
    keys = Counter(s["key"] for s in seen)
    doubles = {k: n for k, n in keys.items() if n > 1}
    bad_sig = sum(1 for s in seen if not s["valid_signature"])
    expected_keys = {f"{r}:{e}" for r, e, _, st in delivery_rows if st == "sent"}
    missing = expected_keys - set(keys)
    check("3. no double alert delivery", not doubles and not bad_sig and not missing,
          f"the receiver got {len(seen)} requests with {len(keys)} distinct Idempotency-Keys; "
          f"{len(doubles)} keys more than once ({short(f'{k} x{n}' for k, n in doubles.items())}); "
          f"{bad_sig} bad signatures; {len(missing)} recorded deliveries the receiver never saw")

    # 4. Every edit one reply.updated, every removal one reply.withdrawn after its grace.
    by_reply = defaultdict(Counter)
    for _, t, r, _ in archive_events:
        by_reply[r][t.rsplit(".", 1)[-1]] += 1
    outbox_by_reply = defaultdict(Counter)
    withdrawn_at = defaultdict(list)
    for eid, t, created, _, subject in outbox:
        outbox_by_reply[subject][t.rsplit(".", 1)[-1]] += 1
        if t.endswith("withdrawn"):
            withdrawn_at[subject].append(instant(created))
    bad = []
    for item, reply in reply_of.items():
        if not reply:
            continue
        for source, counts in [("archive", by_reply[reply]), ("outbox", outbox_by_reply[reply])]:
            want_upd = edits.get(item, 0)
            want_wd = 1 if item in removals else 0
            if counts["updated"] != want_upd:
                bad.append(f"{item} {source}: {counts['updated']} updated, {want_upd} expected")
            if counts["withdrawn"] != want_wd:
                bad.append(f"{item} {source}: {counts['withdrawn']} withdrawn, {want_wd} expected")
            if counts["restored"]:
                bad.append(f"{item} {source}: {counts['restored']} restored")
    early = []
    delays = []
    for item, removed in removals.items():
        for at in withdrawn_at.get(reply_of.get(item), []):
            delays.append(at - removed)
            if at - removed < m["grace_secs"]:
                early.append(f"{item}: withdrawn {at - removed:.1f} s after removal")
    check("4. each edit one reply.updated, each removal one reply.withdrawn after its grace", not bad and not early,
          f"{sum(c['updated'] for c in by_reply.values())} updated and "
          f"{sum(c['withdrawn'] for c in by_reply.values())} withdrawn archived; "
          + (f"removal to withdrawal {min(delays):.0f}–{max(delays):.0f} s (grace {m['grace_secs']} s); "
             if delays else "")
          + f"{len(bad)} wrong counts ({short(bad, 6)}); {len(early)} withdrawn before the grace ({short(early, 3)})")

    # 5. Dead-letter queues empty.
    queues = {}
    for line in (run / "queues.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            queues[parts[0]] = int(parts[1])
    dlqs = {q: n for q, n in queues.items() if q.endswith(".dlq")}
    check("5. dead-letter queues empty", bool(dlqs) and not any(dlqs.values()),
          ", ".join(f"{q} {n}" for q, n in sorted(dlqs.items())) or "no dead-letter queue listed (broker down?)")
    print(f"      other queues: {', '.join(f'{q} {n}' for q, n in sorted(queues.items()) if q not in dlqs)}")

    # 6. The outbox empty.
    pending = [o[0] for o in outbox if o[3] in (None, "")]
    check("6. the outbox empty", not pending, f"{len(pending)} events unpublished of {len(outbox)}")

    # 7. Recovery after each fault.
    rec = m["recoveries"]
    secs = [r["recovery_secs"] for r in rec]
    print("\nrecovery after each fault (to /readyz 200 of the daemons it touched):")
    print("(ready: the daemons it touched answer /readyz 200; work: one of them acks a message or, the crawler,"
          " makes a request; '-' when none had work within 60 s)")
    print("| at s | fault | target | ready after s | work after s | note |")
    print("| ---: | --- | --- | ---: | ---: | --- |")
    for r in rec:
        work = "-" if r.get("progress_secs") is None else f"{r['progress_secs']:.2f} ({r.get('progress_by')})"
        print(f"| {r['at']:.0f} | {r['fault']} | {r['target']} | {r['recovery_secs']:.2f}"
              f"{'' if r['recovered'] else ' (NOT recovered)'} | {work} | {r['detail']} |")
    by_kind = defaultdict(list)
    work_by_kind = defaultdict(list)
    for r in rec:
        by_kind[r["fault"]].append(r["recovery_secs"])
        if r.get("progress_secs") is not None:
            work_by_kind[r["fault"]].append(r["progress_secs"])
    for kind, v in sorted(by_kind.items()):
        w = work_by_kind.get(kind, [])
        print(f"  {kind}: {len(v)} faults; ready after median {statistics.median(v):.2f} s, worst {max(v):.2f} s"
              + (f"; work after median {statistics.median(w):.2f} s, worst {max(w):.2f} s ({len(w)} with work)"
                 if w else "; no work measured"))
    all_work = [x for w in work_by_kind.values() for x in w]
    if all_work:
        print(f"  all faults: ready after median {statistics.median(secs):.2f} s, worst {max(secs):.2f} s; "
              f"work after median {statistics.median(all_work):.2f} s, worst {max(all_work):.2f} s")
    expected_faults = 18 + 2 + (1 if pg else 0)
    check("7. every fault recovered", len(rec) == expected_faults and all(r["recovered"] for r in rec),
          f"{len(rec)} faults of {expected_faults} planned; median {statistics.median(secs):.2f} s, "
          f"worst {max(secs):.2f} s" if secs else "no fault recorded")
    if m["unexpected_exits"]:
        print("NOTE: daemons that exited without being killed (started again): "
              + short((f"{u['daemon']} code {u['code']} at {u['at']:.0f} s" for u in m["unexpected_exits"]), 20))
    failed_checks = [n for n, ok in results if not ok]
    print(f"\nverdict: {'PASS' if not failed_checks else 'FAIL'} "
          f"({len(results) - len(failed_checks)} of {len(results)} checks passed"
          + (f"; failed: {'; '.join(failed_checks)}" if failed_checks else "") + ")")
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
