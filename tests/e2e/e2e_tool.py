#!/usr/bin/env python3
"""Talks to the local emulators for the e2e test and checks its results: create the stream, put
records, dump the lease table, wait for the processed records, compare checkpoints with what was
put. boto3 with fake credentials against a loopback endpoint; every call is bounded in time.
Records put are written as JSON lines (shard, seq, key, data); the record processor's output is
the tab-separated format of samples/sample_record_processor.py (shard, seq, subseq, key, data)."""
import argparse
import json
import re
import sys
import time

import boto3
from botocore.config import Config

CFG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3})


def client(service, endpoint, region):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="kclrs-e2e", aws_secret_access_key="kclrs-e2e",
                        config=CFG)


def create_stream(args):
    k = client("kinesis", args.endpoint, args.region)
    k.create_stream(StreamName=args.stream, ShardCount=args.shards)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        desc = k.describe_stream_summary(StreamName=args.stream)["StreamDescriptionSummary"]
        if desc["StreamStatus"] == "ACTIVE":
            print(json.dumps({"stream": args.stream, "shards": desc["OpenShardCount"]}))
            return
        time.sleep(0.2)
    sys.exit(f"stream {args.stream} not ACTIVE after 30 s")


def put_records(args):
    """Puts records key-<prefix>-<i> / data <prefix>-<i>; prints one JSON line per record."""
    k = client("kinesis", args.endpoint, args.region)
    batch = []
    for i in range(args.start, args.start + args.count):
        batch.append({"PartitionKey": f"key-{args.prefix}-{i}", "Data": f"{args.prefix}-{i}".encode()})
    for lo in range(0, len(batch), 100):
        chunk = batch[lo:lo + 100]
        resp = k.put_records(StreamName=args.stream, Records=chunk)
        if resp.get("FailedRecordCount"):
            sys.exit(f"put_records: {resp['FailedRecordCount']} failed")
        for rec, res in zip(chunk, resp["Records"]):
            print(json.dumps({"shard": res["ShardId"], "seq": res["SequenceNumber"],
                              "key": rec["PartitionKey"], "data": rec["Data"].decode()}))


def leases(args):
    """Prints every item of the lease table as plain JSON (DynamoDB types flattened)."""
    d = client("dynamodb", args.endpoint, args.region)
    items, start = [], None
    while True:
        kw = {"TableName": args.table}
        if start:
            kw["ExclusiveStartKey"] = start
        resp = d.scan(**kw)
        items += resp["Items"]
        start = resp.get("LastEvaluatedKey")
        if not start:
            break
    for item in items:
        print(json.dumps({k: next(iter(v.values())) for k, v in item.items()}, default=str))


def read_put(paths):
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out


def read_output(paths):
    """Fields of the processors' output lines (several files: several workers); a missing file
    means nothing processed yet."""
    rows = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                rows += [line.rstrip("\n").split("\t") for line in f if line.strip()]
        except FileNotFoundError:
            pass
    return rows


def missing(put, output, match="data"):
    """Records of put absent from output, matched on shard, sequence number and data, or with
    match="key" on shard, sequence number, partition key and the data's size in bytes (for a
    processor that logs only those: output rows then carry the size in a sixth column), or with
    match="seq" on shard and sequence number only (outputs of both kinds mixed)."""
    if match == "seq":
        seen = {(row[0], row[1]) for row in output if len(row) >= 5}
        return [r for r in put if (r["shard"], r["seq"]) not in seen]
    if match == "key":
        seen = {(row[0], row[1], row[3], row[5]) for row in output if len(row) >= 6}
        return [r for r in put
                if (r["shard"], r["seq"], r["key"], str(len(r["data"].encode()))) not in seen]
    seen = {(row[0], row[1], row[4]) for row in output if len(row) >= 5}
    return [r for r in put if (r["shard"], r["seq"], r["data"]) not in seen]


def alive(pid):
    """True while pid runs; an exited child its parent has not reaped yet is a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_output(args):
    """Waits until every record put shows up in the processor's output, with the shard and
    sequence number the emulator gave it; exits 1 at the timeout naming what is missing."""
    import os
    put = read_put(args.put)
    deadline = time.monotonic() + args.timeout
    start = time.monotonic()
    while True:
        lost = missing(put, read_output(args.output), args.match)
        if not lost:
            print(json.dumps({"records": len(put), "seconds": round(time.monotonic() - start, 1)}))
            return
        if time.monotonic() > deadline:
            sys.exit(f"{len(lost)} of {len(put)} records not processed after {args.timeout} s, "
                     f"e.g. {lost[:3]}")
        if args.pid and not alive(args.pid):
            sys.exit(f"the daemon (pid {args.pid}) exited with {len(lost)} of {len(put)} records "
                     "not processed")
        time.sleep(0.5)


def count_output(args):
    """How many output lines carry the data of records from the given put files."""
    col = 3 if args.match == "key" else 4
    wanted = {r[args.match] for r in read_put(args.put)}
    rows = read_output(args.output)
    hits = [row for row in rows if len(row) > col and row[col] in wanted]
    print(json.dumps({"lines": len(rows), "matching": len(hits),
                      "distinct": len({row[col] for row in hits})}))


def last_put(paths):
    """The sequence number of the last record put into each shard (as integers)."""
    last = {}
    for r in read_put(paths):
        last[r["shard"]] = max(last.get(r["shard"], -1), int(r["seq"]))
    return last


def scan_leases(d, table):
    """Every item of the lease table (one page: the tests have a few leases); none while the
    daemon has not created the table yet."""
    try:
        return d.scan(TableName=table)["Items"]
    except d.exceptions.ResourceNotFoundException:
        return []


def checkpoints(d, table):
    """leaseKey -> checkpoint of every lease (None when the lease has none yet)."""
    return {i["leaseKey"]["S"]: i.get("checkpoint", {}).get("S") for i in scan_leases(d, table)}


def wait_checkpoints(args):
    """Waits until the lease of every shard that received records is checkpointed at the last
    record put into it: the sign of progress for a processor whose output is not visible while
    it runs. Exits 1 at the timeout, or as soon as --pid is gone."""
    d = client("dynamodb", args.endpoint, args.region)
    last = last_put(args.put)
    start = time.monotonic()
    while True:
        got = checkpoints(d, args.table)
        behind = {shard: got.get(shard) for shard, seq in last.items()
                  if not (got.get(shard) or "").isdigit() or int(got[shard]) != seq}
        if not behind:
            print(json.dumps({"shards": len(last), "seconds": round(time.monotonic() - start, 1)}))
            return
        if time.monotonic() - start > args.timeout:
            sys.exit(f"lease table {args.table}: after {args.timeout} s the checkpoints are "
                     f"{behind}, expected {dict((k, str(last[k])) for k in behind)}")
        if args.pid and not alive(args.pid):
            sys.exit(f"the daemon (pid {args.pid}) exited before every shard was checkpointed: {behind}")
        time.sleep(0.5)


# What amazon_kclpy's samples/sample_kclpy_app.py writes on stderr for each record (with no line
# end), and the daemon's line when it copies a processor's stderr into its log.
KCLPY_RECORD = re.compile(r"Record \(Partition Key: (?P<key>.*?), Sequence Number: (?P<seq>\d+), "
                          r"Subsequence Number: (?P<sub>[^,]*), Data Size: (?P<size>\d+)")
KCLPY_LINE = re.compile(r"Received error line from subprocess \[(?P<text>.*)\] for shard (?P<shard>\S+)")


def kclpy_log(args):
    """Turns the records amazon_kclpy's sample logged (through the daemon's log) into output rows:
    shard, seq, subseq, key, (no data), size."""
    rows = 0
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = KCLPY_LINE.search(line)
            if not m:
                continue
            for r in KCLPY_RECORD.finditer(m.group("text")):
                sub = "" if r.group("sub") == "None" else r.group("sub")
                print("\t".join([m.group("shard"), r.group("seq"), sub, r.group("key"), "", r.group("size")]))
                rows += 1
    print(f"kclpy-log: {rows} record lines in {args.log}", file=sys.stderr)


def adapt_properties(args):
    """Prints --base with every key of --overrides given the override's value (in place), the
    --drop keys left out, and the override keys --base lacks appended: a sample's own properties
    pointed at the test's stream, application and emulators."""
    def key_of(line):
        text = line.strip()
        if not text or text[0] in "#!":
            return None
        return re.split(r"\s*[=:\s]\s*", text, maxsplit=1)[0]

    with open(args.overrides, encoding="utf-8") as f:
        over_lines = [l.rstrip("\n") for l in f]
    overrides = {}
    for l in over_lines:
        k = key_of(l)
        if k:
            overrides[k] = l
    done = set()
    with open(args.base, encoding="utf-8") as f:
        for l in f:
            l = l.rstrip("\n")
            if l.rstrip().endswith("\\"):
                sys.exit(f"{args.base}: continuation lines are not supported: {l!r}")
            k = key_of(l)
            if k in args.drop:
                print(f"# (the e2e test leaves out {k})")
            elif k in overrides:
                print(overrides[k])
                done.add(k)
            else:
                print(l)
    print("# Added by the e2e test:")
    for k, l in overrides.items():
        if k not in done:
            print(l)


def produce(args):
    """Puts records continuously (--batch every --interval seconds, keys and data like
    put-records) until the file --stop exists; appends one JSON line per record put to --out,
    flushed per batch, so the file always lists what the stream holds."""
    import os
    k = client("kinesis", args.endpoint, args.region)
    i = 0
    with open(args.out, "a", encoding="utf-8") as out:
        while not os.path.exists(args.stop):
            t0 = time.monotonic()
            chunk = [{"PartitionKey": f"key-{args.prefix}-{j}", "Data": f"{args.prefix}-{j}".encode()}
                     for j in range(i, i + args.batch)]
            resp = k.put_records(StreamName=args.stream, Records=chunk)
            # A record the stream refused is not in the stream: only accepted ones are listed.
            for rec, res in zip(chunk, resp["Records"]):
                if "SequenceNumber" in res:
                    out.write(json.dumps({"shard": res["ShardId"], "seq": res["SequenceNumber"],
                                          "key": rec["PartitionKey"], "data": rec["Data"].decode()}) + "\n")
            out.flush()
            i += args.batch
            time.sleep(max(0.0, args.interval - (time.monotonic() - t0)))


def owners(d, table):
    """leaseKey -> leaseOwner (None when unowned) of every lease."""
    return {i["leaseKey"]["S"]: i.get("leaseOwner", {}).get("S") for i in scan_leases(d, table)}


def wait_owners(args):
    """Waits until the table has --shards leases and each worker of --workers owns exactly
    shards/len(workers) of them (and nobody else owns any); prints the seconds it took and the
    owners. Exits 1 at the timeout with the last owners seen, or as soon as a --pid is gone."""
    d = client("dynamodb", args.endpoint, args.region)
    workers = args.workers.split(",")
    share = args.shards // len(workers)
    start = time.monotonic()
    seen = None
    while True:
        got = owners(d, args.table)
        if got != seen:
            print(json.dumps({"t": round(time.monotonic() - start, 1), "owners": got}), file=sys.stderr)
            seen = got
        counts = {w: sum(1 for o in got.values() if o == w) for w in workers}
        if len(got) == args.shards and all(c == share for c in counts.values()):
            print(json.dumps({"seconds": round(time.monotonic() - start, 1), "owners": got}))
            return
        if time.monotonic() - start > args.timeout:
            sys.exit(f"lease table {args.table}: after {args.timeout} s the owners are {got}, "
                     f"expected {share} lease(s) for each of {workers}")
        for pid in args.pid or []:
            if not alive(pid):
                sys.exit(f"worker pid {pid} exited while waiting for the leases to be {counts}")
        time.sleep(0.5)


def leader(args):
    """Prints the owner of KCL 3.x's leader lock: the item with key "Leader" of the
    coordinator state table (the DynamoDB lock client's ownerName); exits 1 without one."""
    d = client("dynamodb", args.endpoint, args.region)
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            item = d.get_item(TableName=args.table, Key={"key": {"S": "Leader"}}).get("Item")
        except d.exceptions.ResourceNotFoundException:
            item = None
        if item and "ownerName" in item:
            print(item["ownerName"]["S"])
            return
        if time.monotonic() > deadline:
            sys.exit(f"no leader lock in {args.table} after {args.timeout} s: {item}")
        time.sleep(0.5)


def duplicates(args):
    """How often records were processed more than once across the outputs, by shard and
    sequence number: the at-least-once price of a takeover."""
    from collections import Counter
    seen = Counter((row[0], row[1]) for row in read_output(args.output) if len(row) >= 5)
    extra = sum(n - 1 for n in seen.values() if n > 1)
    print(json.dumps({"lines": sum(seen.values()), "distinct": len(seen), "duplicates": extra,
                      "records_seen_twice_or_more": sum(1 for n in seen.values() if n > 1)}))


def check_leases(args):
    """Every shard that received records has a lease whose checkpoint is the sequence number of
    the last record put into it (numbers compared as integers)."""
    d = client("dynamodb", args.endpoint, args.region)
    items = d.scan(TableName=args.table)["Items"]
    leases = {i["leaseKey"]["S"]: i for i in items}
    last = {}
    for r in read_put(args.put):
        last[r["shard"]] = max(last.get(r["shard"], -1), int(r["seq"]))
    bad = []
    for shard, seq in sorted(last.items()):
        lease = leases.get(shard)
        got = lease["checkpoint"]["S"] if lease and "checkpoint" in lease else None
        ok = got is not None and got.isdigit() and int(got) == seq
        print(json.dumps({"shard": shard, "checkpoint": got, "last_put": str(seq), "ok": ok}))
        if not ok:
            bad.append(shard)
    if len(last) < args.min_shards:
        sys.exit(f"records went to {len(last)} shard(s), expected at least {args.min_shards}")
    if bad:
        sys.exit(f"lease table {args.table}: wrong or missing checkpoint for {bad}")


def orphans(args):
    """Exits 1 naming every live process whose environment holds exactly VAR=VALUE (the record
    processors inherit KCLRS_SAMPLE_OUTPUT, unique to one run, from the daemon)."""
    import os
    needle = args.env.encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    with open(f"/proc/{pid}/cmdline", "rb") as c:
                        found.append(f"{pid}: {c.read().replace(bytes(1), b' ').decode(errors='replace')}")
        except OSError:
            continue  # gone meanwhile, or not ours to read
    if found:
        sys.exit("still running: " + "; ".join(found))


def lease_items(d, table):
    """leaseKey -> (owner, checkpoint) of every lease. While a graceful handoff is pending
    (checkpointOwner set: the old owner has still to checkpoint and let go) the owner reads
    "handoff:<old>><new>": nobody processes the shard then."""
    out = {}
    for i in scan_leases(d, table):
        owner = i.get("leaseOwner", {}).get("S")
        if "checkpointOwner" in i:
            owner = f"handoff:{i['checkpointOwner'].get('S')}>{owner}"
        out[i["leaseKey"]["S"]] = (owner, i.get("checkpoint", {}).get("S"))
    return out


def wait_owns(args):
    """Waits until --worker owns at least --min leases and no handoff is pending (a steady state
    to restart from); exits 1 at the timeout with the owners."""
    d = client("dynamodb", args.endpoint, args.region)
    start = time.monotonic()
    while True:
        got = {k: o for k, (o, _) in lease_items(d, args.table).items()}
        mine = sum(1 for o in got.values() if o == args.worker)
        if mine >= args.min and not any(str(o).startswith("handoff:") for o in got.values()):
            print(json.dumps({"seconds": round(time.monotonic() - start, 1), "owners": got}))
            return
        if time.monotonic() - start > args.timeout:
            sys.exit(f"after {args.timeout} s {args.worker} owns {mine} lease(s): {got}")
        time.sleep(0.5)


def watch_leases(args):
    """Until --stop exists: scans the lease table every 0.25 s and appends one JSON line per
    scan, {"t": epoch seconds, "owners": {leaseKey: owner, as lease_items says}, "checkpoints":
    {leaseKey: checkpoint}}, to --out (flushed), so that a
    takeover is timed from the table itself, not from when a check happened to run."""
    import os
    d = client("dynamodb", args.endpoint, args.region)
    with open(args.out, "a", encoding="utf-8") as out:
        while not os.path.exists(args.stop):
            t = time.time()
            try:
                got = lease_items(d, args.table)
            except Exception as e:  # an emulator hiccup must not end the watch
                print(f"watch-leases: {e}", file=sys.stderr)
                time.sleep(0.25)
                continue
            out.write(json.dumps({"t": round(t, 3), "owners": {k: o for k, (o, _) in got.items()},
                                  "checkpoints": {k: c for k, (_, c) in got.items()}}) + "\n")
            out.flush()
            time.sleep(max(0.0, 0.25 - (time.time() - t)))


# The discoverer's line when a worker picks up leases that carry its id (KCL 3.x), and logback's
# default timestamp (local time) at the start of the daemon's log lines.
DISCOVERED = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(?P<ms>\d{3}) .*New leases assigned to worker : "
                        r"(?P<worker>\S+), count : \d+, leases : \[(?P<leases>[^\]]*)\]")
# At its start a worker renews the leases that still carry its id (DynamoDBLeaseRenewer.initialize),
# with no discovery: a restarted leader gets its own leases back this way before anyone else.
FOUND = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(?P<ms>\d{3}) .* Worker (?P<worker>\S+) found lease "
                   r"Lease\(leaseKey=(?P<leases>[^,)]+)")


def discovered(log):
    """leaseKey -> epoch seconds at which the process writing log first picked the lease up."""
    found = {}
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = DISCOVERED.search(line) or FOUND.search(line)
                if not m:
                    continue
                t = time.mktime(time.strptime(m.group("ts"), "%Y-%m-%d %H:%M:%S")) + int(m.group("ms")) / 1000
                for key in filter(None, (k.strip() for k in m.group("leases").split(","))):
                    found.setdefault(key, t)
    except FileNotFoundError:
        pass
    return found


def takeover(args):
    """Seconds from --t0 (the signal) until every one of --shards leases had a live owner, from
    the --watch file: one of --others (workers that kept running; a lease in a pending handoff
    has no live owner), or --victim (the stopped
    worker's id, which its restarted process reuses) once the restarted process's --log shows it
    picked that lease up -- the old process, gone, owns nothing. Waits for that moment up to
    --timeout; prints {"seconds": …, "owners": …} or exits 1."""
    others = set(args.others.split(","))
    deadline = time.monotonic() + args.timeout
    while True:
        picked = discovered(args.log)
        with open(args.watch, encoding="utf-8") as f:
            scans = [json.loads(line) for line in f if line.strip()]
        last = None
        for scan in scans:
            if scan["t"] < args.t0:
                continue
            owners = scan["owners"]
            last = owners
            live = [o in others or (o == args.victim and picked.get(k, float("inf")) <= scan["t"])
                    for k, o in owners.items()]
            if len(owners) >= args.shards and all(live):
                print(json.dumps({"seconds": round(scan["t"] - args.t0, 1), "owners": owners}))
                return
        if time.monotonic() > deadline:
            sys.exit(f"after {args.timeout} s not every lease has a live owner: {last}, "
                     f"picked up by the restarted {args.victim}: {sorted(picked)}")
        time.sleep(0.5)


def rolling_report(args):
    """The rolling-restart table. --restart takes JSON objects (one per restart, in order) with
    the worker, signal, takeover seconds, the stopped incarnation's output file, the epoch second
    it was gone (t_exit), and the put-file line range of its window; --watch is watch-leases's
    record. Lost: put
    records of the window no output holds. Duplicates: records of the stopped incarnation that
    another incarnation processed too; bound: records the stopped incarnation processed past the
    last checkpoint it wrote (what was processed after the last checkpoint). Exits 1 when a
    record is lost anywhere or duplicates exceed their bound."""
    put = read_put([args.put])
    outputs = {path: read_output([path]) for path in args.output}
    seen_all = {(r[0], r[1]) for rows in outputs.values() for r in rows if len(r) >= 5}
    restarts = [json.loads(r) for r in args.restart]
    with open(args.watch, encoding="utf-8") as f:
        scans = [json.loads(line) for line in f if line.strip()]
    bad = []
    print(f"{'#':>2} {'worker':<9} {'processor':<12} {'signal':<8} {'leader':<6} {'hook s':>6} {'exit s':>6} "
          f"{'takeover s':>10} {'lost':>5} {'dups':>5} {'bound':>5}")
    for n, r in enumerate(restarts, 1):
        mine = {(row[0], row[1]) for row in outputs.get(r["output"], []) if len(row) >= 5}
        others = set()
        for path, rows in outputs.items():
            if path != r["output"]:
                others |= {(row[0], row[1]) for row in rows if len(row) >= 5}
        dups = len(mine & others)
        # The last checkpoint the stopped process wrote: the highest one seen while it owned the
        # lease, up to its exit (a scan that missed it only makes the bound larger).
        last_cp = {}
        for scan in scans:
            if scan["t"] > r["t_exit"]:
                break
            for k, o in scan["owners"].items():
                cp = scan["checkpoints"].get(k) or ""
                if o == r["worker"] and cp.isdigit():
                    last_cp[k] = max(last_cp.get(k, -1), int(cp))
        bound = sum(1 for (shard, seq) in mine if int(seq) > last_cp.get(shard, -1))
        window = put[r["from"]:r["to"]]
        lost = sum(1 for rec in window if (rec["shard"], rec["seq"]) not in seen_all)
        print(f"{n:>2} {r['worker']:<9} {r['processor']:<12} {r['signal']:<8} {r['leader']:<6} "
              f"{'-' if r.get('hook') is None else r['hook']:>6} {r['exit']:>6} {r['takeover']:>10} {lost:>5} {dups:>5} {bound:>5}")
        if dups > bound:
            bad.append(f"restart {n}: {dups} duplicates, more than the {bound} processed after the last checkpoint")
    lost_all = [rec for rec in put if (rec["shard"], rec["seq"]) not in seen_all]
    print(f"records put {len(put)}, processed (distinct) {len(seen_all)}, lost {len(lost_all)}")
    if lost_all:
        bad.append(f"{len(lost_all)} records lost, e.g. {lost_all[:3]}")
    if bad:
        sys.exit("; ".join(bad))


def tables(args):
    d = client("dynamodb", args.endpoint, args.region)
    print(json.dumps(d.list_tables()["TableNames"]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", help="emulator URL (not needed by wait-output, count-output)")
    p.add_argument("--region", default="us-east-1")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create-stream")
    c.add_argument("--stream", required=True)
    c.add_argument("--shards", type=int, default=2)
    c.set_defaults(fn=create_stream)
    c = sub.add_parser("put-records")
    c.add_argument("--stream", required=True)
    c.add_argument("--prefix", required=True)
    c.add_argument("--start", type=int, default=0)
    c.add_argument("--count", type=int, required=True)
    c.set_defaults(fn=put_records)
    c = sub.add_parser("leases")
    c.add_argument("--table", required=True)
    c.set_defaults(fn=leases)
    c = sub.add_parser("wait-output")
    c.add_argument("--put", action="append", required=True)
    c.add_argument("--output", action="append", required=True)
    c.add_argument("--timeout", type=float, default=120)
    c.add_argument("--pid", type=int, help="give up as soon as this process is gone")
    c.add_argument("--match", choices=["data", "key", "seq"], default="data")
    c.set_defaults(fn=wait_output)
    c = sub.add_parser("count-output")
    c.add_argument("--put", action="append", required=True)
    c.add_argument("--output", action="append", required=True)
    c.add_argument("--match", choices=["data", "key"], default="data")
    c.set_defaults(fn=count_output)
    c = sub.add_parser("wait-checkpoints")
    c.add_argument("--table", required=True)
    c.add_argument("--put", action="append", required=True)
    c.add_argument("--timeout", type=float, default=120)
    c.add_argument("--pid", type=int, help="give up as soon as this process is gone")
    c.set_defaults(fn=wait_checkpoints)
    c = sub.add_parser("kclpy-log")
    c.add_argument("--log", required=True)
    c.set_defaults(fn=kclpy_log)
    c = sub.add_parser("adapt-properties")
    c.add_argument("--base", required=True)
    c.add_argument("--overrides", required=True)
    c.add_argument("--drop", action="append", default=[])
    c.set_defaults(fn=adapt_properties)
    c = sub.add_parser("check-leases")
    c.add_argument("--table", required=True)
    c.add_argument("--put", action="append", required=True)
    c.add_argument("--min-shards", type=int, default=2)
    c.set_defaults(fn=check_leases)
    c = sub.add_parser("orphans")
    c.add_argument("--env", required=True, help="VAR=VALUE")
    c.set_defaults(fn=orphans)
    c = sub.add_parser("produce")
    c.add_argument("--stream", required=True)
    c.add_argument("--prefix", required=True)
    c.add_argument("--batch", type=int, default=10)
    c.add_argument("--interval", type=float, default=0.5)
    c.add_argument("--out", required=True)
    c.add_argument("--stop", required=True, help="stop once this file exists")
    c.set_defaults(fn=produce)
    c = sub.add_parser("wait-owners")
    c.add_argument("--table", required=True)
    c.add_argument("--shards", type=int, required=True)
    c.add_argument("--workers", required=True, help="worker ids, comma-separated")
    c.add_argument("--timeout", type=float, default=180)
    c.add_argument("--pid", type=int, action="append", help="give up as soon as this process is gone")
    c.set_defaults(fn=wait_owners)
    c = sub.add_parser("leader")
    c.add_argument("--table", required=True)
    c.add_argument("--timeout", type=float, default=60)
    c.set_defaults(fn=leader)
    c = sub.add_parser("duplicates")
    c.add_argument("--output", action="append", required=True)
    c.set_defaults(fn=duplicates)
    c = sub.add_parser("wait-owns")
    c.add_argument("--table", required=True)
    c.add_argument("--worker", required=True)
    c.add_argument("--min", type=int, default=1)
    c.add_argument("--timeout", type=float, default=90)
    c.set_defaults(fn=wait_owns)
    c = sub.add_parser("watch-leases")
    c.add_argument("--table", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--stop", required=True, help="stop once this file exists")
    c.set_defaults(fn=watch_leases)
    c = sub.add_parser("takeover")
    c.add_argument("--watch", required=True)
    c.add_argument("--shards", type=int, required=True)
    c.add_argument("--others", required=True, help="worker ids that kept running, comma-separated")
    c.add_argument("--victim", required=True)
    c.add_argument("--log", required=True, help="the restarted process's daemon log")
    c.add_argument("--t0", type=float, required=True, help="epoch seconds of the signal")
    c.add_argument("--timeout", type=float, default=180)
    c.set_defaults(fn=takeover)
    c = sub.add_parser("rolling-report")
    c.add_argument("--put", required=True)
    c.add_argument("--watch", required=True, help="watch-leases's record")
    c.add_argument("--output", action="append", required=True, help="incarnation outputs, in start order")
    c.add_argument("--restart", action="append", required=True, help="one JSON object per restart")
    c.set_defaults(fn=rolling_report)
    c = sub.add_parser("tables")
    c.set_defaults(fn=tables)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
