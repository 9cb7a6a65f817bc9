#!/usr/bin/env python3
"""A govwire subscriber in Python.

Declares a queue of its own, binds it to govwire's events exchange,
checks each event against govwire's JSON Schemas (schemas/), drops an
event whose id it has already handled (ids are deterministic, so a
republished event keeps its id), prints one JSON line per event and
acknowledges it once handled. An event that breaks the contract is
rejected without requeueing (to the queue's dead-letter route, if it has
one) and reported.

    pip install -r requirements.txt
    python3 consumer.py --binding 'shpt.reply.published'

Stops on Ctrl-C; with --count N, after N events (exit 0 if all were valid).
"""

import argparse
import json
import pathlib
import sys
import time

import jsonschema
import pika

HERE = pathlib.Path(__file__).resolve().parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f",
                        help="the broker govwire publishes to")
    parser.add_argument("--exchange", default="govwire.events",
                        help="govwire's events exchange (amqp.events_exchange)")
    parser.add_argument("--queue", default="example-python-consumer",
                        help="this subscriber's own queue")
    parser.add_argument("--binding", action="append",
                        help="routing key to bind (repeatable; default *.reply.*)")
    parser.add_argument("--schemas", default=str(HERE.parent.parent / "schemas"),
                        help="directory of govwire's JSON Schemas")
    parser.add_argument("--count", type=int, default=0,
                        help="stop after this many events (default: run until stopped)")
    parser.add_argument("--timeout", type=float, default=0,
                        help="with --count: give up after this many seconds (exit 1)")
    parser.add_argument("--expires-ms", type=int, default=0,
                        help="let the broker delete the queue after this long unused")
    return parser.parse_args()


def validators(directory):
    def load(name):
        schema = json.loads((pathlib.Path(directory) / name).read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)
    return {
        "reply": load("reply-event.v1.schema.json"),
        "portal": load("portal-event.v1.schema.json"),
    }


def problems(event, checks):
    """Why `event` breaks the contract; empty when it keeps it."""
    kind = event.get("type", "") if isinstance(event, dict) else ""
    entity = kind.split(".")[1] if kind.startswith("govwire.") and kind.count(".") == 2 else ""
    if entity not in checks:
        return [f"unknown event type {kind!r}"]
    return [error.message for error in checks[entity].iter_errors(event)]


def main():
    args = parse_args()
    checks = validators(args.schemas)
    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    # The exchange as govwire declares it, so binding works before govwire
    # first starts; declaring it again with the same arguments changes
    # nothing. Its alternate exchange keeps the events no subscriber queue
    # takes; the broker refuses a declaration whose arguments differ.
    channel.exchange_declare(
        args.exchange,
        exchange_type="topic",
        durable=True,
        arguments={"alternate-exchange": args.exchange + ".unrouted"},
    )
    queue_args = {"x-queue-type": "quorum"}
    if args.expires_ms:
        queue_args["x-expires"] = args.expires_ms
    channel.queue_declare(args.queue, durable=True, arguments=queue_args)
    for binding in args.binding or ["*.reply.*"]:
        channel.queue_bind(args.queue, args.exchange, routing_key=binding)
    channel.basic_qos(prefetch_count=32)
    print(json.dumps({"ready": True, "queue": args.queue}), flush=True)

    seen = set()
    handled = invalid = 0
    started = time.monotonic()
    try:
        for method, properties, body in channel.consume(args.queue, inactivity_timeout=1):
            if method is None:
                if args.count and args.timeout and time.monotonic() - started > args.timeout:
                    print(json.dumps({"timeout": True, "handled": handled}), flush=True)
                    return 1
                continue
            try:
                event = json.loads(body)
                found = problems(event, checks)
            except ValueError as error:
                event, found = {}, [f"not JSON: {error}"]
            if found:
                invalid += 1
                print(json.dumps({"id": event.get("id"), "type": event.get("type"),
                                  "invalid": found[:3]}, ensure_ascii=False), flush=True)
                channel.basic_reject(method.delivery_tag, requeue=False)
            else:
                duplicate = event["id"] in seen
                seen.add(event["id"])
                # A real subscriber acts on the event here (idempotently).
                print(json.dumps({"id": event["id"], "type": event["type"],
                                  "subject": event["subject"], "routing_key": method.routing_key,
                                  "duplicate": duplicate, "valid": True},
                                 ensure_ascii=False), flush=True)
                channel.basic_ack(method.delivery_tag)
            handled += 1
            if args.count and handled >= args.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        try:
            channel.cancel()
            connection.close()
        except pika.exceptions.AMQPError:
            pass
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
