#!/usr/bin/env python3
"""Sample record processor for the KCL MultiLangDaemon, written for kclrs.

The MultiLangDaemon starts one copy of this program per shard lease and talks to it over
stdin/stdout, one JSON object per line:

  daemon -> processor   {"action": "initialize", "shardId": ..., "sequenceNumber": ..., ...}
                        {"action": "processRecords", "records": [...], "millisBehindLatest": ...}
                        {"action": "leaseLost"}
                        {"action": "shardEnded"}
                        {"action": "shutdownRequested"}
  processor -> daemon   {"action": "checkpoint", "sequenceNumber": ..., "subSequenceNumber": ...}
  daemon -> processor   {"action": "checkpoint", "sequenceNumber": ..., "error": null | "Name"}
  processor -> daemon   {"action": "status", "responseFor": "<the action being answered>"}

Each record is {"action": "record", "data": <base64>, "partitionKey": ..., "sequenceNumber": ...,
"subSequenceNumber": ..., "approximateArrivalTimestamp": ...}.

stdout belongs to the protocol, so everything else is logged to stderr (the daemon copies it
into its own log). Only the Python 3 standard library is used.

Ctrl-C in a terminal sends SIGINT to the daemon and to every processor at once. The processor
ignores it: the daemon's shutdown hook still needs it to answer shutdownRequested (and take a
final checkpoint), and it exits when the daemon closes its stdin.

If the environment variable KCLRS_SAMPLE_OUTPUT names a file, every record is appended to it as
one tab-separated line: shard id, sequence number, sub-sequence number (empty if none),
partition key, data decoded as UTF-8. Backslash, tab, newline and carriage return inside the
partition key and data are written as \\\\, \\t, \\n and \\r so each record stays on one line.
"""

import base64
import io
import json
import os
import signal
import sys
import time

# Checkpoint errors worth another try: the lease table is throttled or briefly unreachable.
RETRYABLE = ("ThrottlingException", "KinesisClientLibDependencyException")
RETRIES = 4
FIRST_BACKOFF_SECONDS = 0.2


def log(message):
    sys.stderr.write("sample_record_processor[%d]: %s\n" % (os.getpid(), message))
    sys.stderr.flush()


def escape(text):
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


class Protocol:
    """Reads the daemon's messages from stdin and writes replies to stdout."""

    def __init__(self, stdin, stdout):
        self.stdin = stdin
        self.stdout = stdout

    def read(self):
        """The next message, or None when the daemon closed stdin."""
        while True:
            line = self.stdin.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                log("ignoring a line that is not JSON: %r" % line[:200])
                continue
            if isinstance(message, dict) and "action" in message:
                return message
            log("ignoring a message without an action: %r" % line[:200])

    def write(self, message):
        self.stdout.write(json.dumps(message) + "\n")
        self.stdout.flush()

    def status(self, action):
        self.write({"action": "status", "responseFor": action})

    def checkpoint(self, sequence_number=None, sub_sequence_number=None):
        """Asks the daemon to checkpoint and waits for its answer. A missing sequence number
        means "everything delivered so far" (and, after shardEnded, the end of the shard).
        Returns the error name the daemon reported, or None on success."""
        error = None
        for attempt in range(RETRIES + 1):
            request = {"action": "checkpoint", "sequenceNumber": sequence_number}
            if sub_sequence_number is not None:
                request["subSequenceNumber"] = sub_sequence_number
            self.write(request)
            reply = self.read()
            while reply is not None and reply.get("action") != "checkpoint":
                log("unexpected %r while waiting for a checkpoint reply" % reply.get("action"))
                reply = self.read()
            if reply is None:
                raise EOFError("stdin closed while waiting for a checkpoint reply")
            error = reply.get("error")
            if error is None:
                return None
            if error not in RETRYABLE or attempt == RETRIES:
                break
            delay = FIRST_BACKOFF_SECONDS * (2 ** attempt)
            log("checkpoint failed with %s, retrying in %.1f s" % (error, delay))
            time.sleep(delay)
        log("checkpoint at %s failed: %s" % (sequence_number, error))
        return error


class RecordProcessor:
    def __init__(self, protocol, output_path):
        self.protocol = protocol
        self.output_path = output_path
        self.shard_id = None

    def initialize(self, message):
        self.shard_id = message.get("shardId")
        log(
            "initialized for shard %s at %s"
            % (self.shard_id, message.get("sequenceNumber"))
        )

    def save(self, records):
        if not self.output_path:
            return
        # One write() per line on an O_APPEND descriptor: the processors of several shards can
        # share the file without tearing each other's lines.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(self.output_path, flags, 0o644)
        try:
            for record in records:
                data = base64.b64decode(record.get("data") or "")
                sub = record.get("subSequenceNumber")
                fields = [
                    self.shard_id or "",
                    record.get("sequenceNumber") or "",
                    "" if sub is None else str(sub),
                    escape(record.get("partitionKey") or ""),
                    escape(data.decode("utf-8", errors="replace")),
                ]
                os.write(fd, ("\t".join(fields) + "\n").encode("utf-8"))
        finally:
            os.close(fd)

    def process_records(self, message):
        records = message.get("records") or []
        self.save(records)
        log("shard %s: %d record(s)" % (self.shard_id, len(records)))
        if records:
            last = records[-1]
            self.protocol.checkpoint(
                last.get("sequenceNumber"), last.get("subSequenceNumber")
            )

    def lease_lost(self, message):
        # Another worker owns the shard now: checkpointing is not allowed any more.
        log("shard %s: lease lost" % self.shard_id)

    def shard_ended(self, message):
        # The shard was split or merged: checkpoint at its end so the children can start.
        log("shard %s: ended" % self.shard_id)
        self.protocol.checkpoint()

    def shutdown_requested(self, message):
        log("shard %s: shutdown requested" % self.shard_id)
        self.protocol.checkpoint()

    def shutdown(self, message):
        # Older daemons send "shutdown" with a reason instead of leaseLost/shardEnded.
        if message.get("reason") == "TERMINATE":
            self.protocol.checkpoint()


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The daemon's JSON is UTF-8 whatever the locale says; json.dumps writes ASCII only.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    protocol = Protocol(stdin, sys.stdout)
    processor = RecordProcessor(protocol, os.environ.get("KCLRS_SAMPLE_OUTPUT"))
    handlers = {
        "initialize": processor.initialize,
        "processRecords": processor.process_records,
        "leaseLost": processor.lease_lost,
        "shardEnded": processor.shard_ended,
        "shutdownRequested": processor.shutdown_requested,
        "shutdown": processor.shutdown,
    }
    try:
        while True:
            message = protocol.read()
            if message is None:
                log("stdin closed, exiting")
                return 0
            action = message["action"]
            handler = handlers.get(action)
            if handler is None:
                log("unknown action %r, answering it anyway" % action)
            else:
                handler(message)
            protocol.status(action)
    except EOFError as err:
        log(str(err))
        return 0
    except BrokenPipeError:
        log("the daemon stopped reading, exiting")
        # Keep the interpreter's final flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
