"""Bounded HTTP load from a client namespace: `concurrency` threads, each opening a new TCP
connection per request to one of the URLs, for `seconds` (hard cap 60 s). Prints one JSON
line: ok, failed, requests per backend (X-Backend header), first errors. With RETRIES 1, a request
whose connection was closed or reset before any response came is sent once more (what browsers
do for an idempotent GET); those are counted in `retried` with their first errors. Default 0.
`timeline` is the load over time: for each 0.25 s from the start (`started_at`, epoch seconds),
[start s, requests completed ok, failed, the slowest request's ms] (a request counts in the
interval it completed in; those that complete after the last whole interval only in the totals).
usage: http_load.py HOSTS SECONDS CONCURRENCY [PATH [PORT [RATE [RETRIES]]]]  (RATE: requests/s in all)"""
import http.client
import json
import sys
import threading
import time

hosts = sys.argv[1].split(",")   # "198.18.0.100" or "[2001:db8::100]"
seconds = min(float(sys.argv[2]), 60.0)
concurrency = min(int(sys.argv[3]), 16)
path = sys.argv[4] if len(sys.argv) > 4 else "/"
port = int(sys.argv[5]) if len(sys.argv) > 5 else 80
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0  # 0: as fast as it goes
retries = min(int(sys.argv[7]), 1) if len(sys.argv) > 7 else 0
lock = threading.Lock()
res = {"ok": 0, "failed": 0, "by_backend": {}, "errors": [], "retried": 0, "retried_errors": []}
BUCKET_S = 0.25
buckets = {}  # index -> [ok, failed, slowest ms]
started = time.time()


def attempt(host):
    """(ok, backend, error, no_response): no_response when the server never answered."""
    try:
        c = http.client.HTTPConnection(host, port, timeout=5)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status == 200, r.getheader("X-Backend"), "HTTP %d from %s" % (r.status, r.getheader("X-Backend")), False
    except Exception as e:  # noqa: BLE001 - every failure is counted
        no_response = isinstance(e, (ConnectionResetError, http.client.RemoteDisconnected))
        return False, None, "%s: %s" % (type(e).__name__, e), no_response


def worker(k):
    end = time.time() + seconds
    gap = concurrency / rate if rate > 0 else 0.0
    next_at = time.time() + gap * k / concurrency
    i = k
    while time.time() < end:
        if gap:
            time.sleep(max(0.0, next_at - time.time()))
            next_at += gap
        host = hosts[i % len(hosts)].strip("[]")
        i += 1
        t0 = time.time()
        ok, be, err, no_response = attempt(host)
        if not ok and no_response and retries:
            with lock:
                res["retried"] += 1
                if len(res["retried_errors"]) < 5:
                    res["retried_errors"].append(err)
            ok, be, err, _ = attempt(host)
        done = time.time()
        with lock:
            b = buckets.setdefault(int((done - started) / BUCKET_S), [0, 0, 0.0])
            b[0 if ok else 1] += 1
            b[2] = max(b[2], (done - t0) * 1000)
            if ok:
                res["ok"] += 1
                res["by_backend"][be] = res["by_backend"].get(be, 0) + 1
            else:
                res["failed"] += 1
                if len(res["errors"]) < 5:
                    res["errors"].append(err)


ts = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
for t in ts:
    t.start()
for t in ts:
    t.join()
res["started_at"] = started  # time.time() when the load began: what the timeline counts from
res["timeline"] = []
for i in range(int(seconds / BUCKET_S)):  # whole intervals only (not the stragglers after the end)
    n_ok, n_failed, slowest = buckets.get(i, [0, 0, 0.0])
    res["timeline"].append([round(i * BUCKET_S, 2), n_ok, n_failed, round(slowest, 1)])
print(json.dumps(res))
