#!/usr/bin/python3
"""SMTP sink for the test suite (started by .ci/test).

Accepts every message on HOST:PORT and stores it in DIR:
  <counter>-<uuid>.eml   raw message bytes exactly as received (DATA payload)
  <counter>-<uuid>.json  {"mail_from", "rcpt_tos", "peer", "received_at", ...}

Rules:
  * <counter> is a zero-padded monotonic per-process counter, so sorting the
    file names gives arrival order.
  * The .json sidecar is in place before the .eml appears; both are written
    to a hidden temp name and renamed, so a reader that sees a *.eml file sees
    the complete message and its sidecar.
  * Any AUTH credentials are accepted (without TLS); STARTTLS is not offered.
  * SIGTERM/SIGINT stop the server cleanly.
  * Needs Debian's python3-aiosmtpd (run with /usr/bin/python3).

Usage: smtp_sink.py --host 127.0.0.1 --port PORT --dir DIR
"""

import argparse
import asyncio
import datetime
import itertools
import json
import os
import signal
import sys
import uuid

from aiosmtpd.smtp import SMTP, AuthResult


def write_atomically(directory, name, data):
    tmp = os.path.join(directory, ".%s.tmp" % name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(directory, name))


class FileHandler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        stem = "%06d-%s" % (next(self.counter), uuid.uuid4())
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options or []),
            "rcpt_options": list(envelope.rcpt_options or []),
            "peer": list(session.peer) if isinstance(session.peer, tuple) else str(session.peer),
            "helo": session.host_name,
            "authenticated": bool(getattr(session, "authenticated", False)),
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "size": len(raw),
            "eml": stem + ".eml",
        }
        write_atomically(self.directory, stem + ".json",
                         json.dumps(meta, indent=2).encode("utf-8") + b"\n")
        write_atomically(self.directory, stem + ".eml", raw)
        print("stored %s.eml from=%s to=%s bytes=%d"
              % (stem, envelope.mail_from, ",".join(envelope.rcpt_tos), len(raw)),
              flush=True)
        return "250 Message accepted for delivery"


def accept_any_auth(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    handler = FileHandler(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="sifilma-smtp-sink",
            enable_SMTPUTF8=True,
            data_size_limit=64 * 1024 * 1024,
            authenticator=accept_any_auth,
            auth_require_tls=False,
        ),
        host=args.host,
        port=args.port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("smtp sink listening on %s:%d, writing to %s" % (args.host, args.port, args.dir),
          flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
    print("smtp sink stopped", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as e:
        print("smtp sink failed: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
