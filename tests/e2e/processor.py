#!/usr/bin/env python3
"""Minimal MultiLangDaemon record processor for the e2e walkthrough (stdlib only).

Appends one tab-separated line per record (shard, sequence number, sub-sequence number, partition
key, data) to the file named by KCLRS_SAMPLE_OUTPUT -- the same format as samples/ writes -- and checkpoints after every batch, waiting for the daemon's checkpoint
reply before it sends its status, as the protocol requires.
"""
import base64
import json
import os
import sys

out_path = os.environ.get("KCLRS_SAMPLE_OUTPUT", "records.jsonl")
shard = None


def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def read():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def checkpoint(seq):
    send({"action": "checkpoint", "sequenceNumber": seq, "subSequenceNumber": None})
    reply = read()
    if reply.get("action") != "checkpoint" or reply.get("error"):
        print(f"processor {shard}: checkpoint reply {reply}", file=sys.stderr, flush=True)


def main():
    global shard
    while True:
        msg = read()
        action = msg["action"]
        if action == "initialize":
            shard = msg.get("shardId")
            print(f"processor: initialize {shard} at {msg.get('sequenceNumber')}", file=sys.stderr, flush=True)
        elif action == "processRecords":
            records = msg.get("records", [])
            if records:
                with open(out_path, "a", encoding="utf-8") as out:
                    for r in records:
                        data = base64.b64decode(r["data"]).decode("utf-8", "replace")
                        sub = r.get("subSequenceNumber")
                        out.write("\t".join([shard, r["sequenceNumber"], "" if sub is None else str(sub),
                                             r["partitionKey"], data]) + "\n")
                checkpoint(records[-1]["sequenceNumber"])
        elif action in ("shardEnded", "shutdownRequested"):
            checkpoint(None)
        send({"action": "status", "responseFor": action})
        if action in ("leaseLost", "shardEnded", "shutdown"):
            print(f"processor {shard}: {action}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
