-- wrk script of perf/peers.py: one JSON line at the end (requests, errors, latency percentiles
-- in microseconds), and, with WRK_RATE set, each connection paced so that all of them together
-- offer about WRK_RATE requests/s (wrk is closed-loop: a connection waits delay() before each
-- request). WRK_CLOSE=1 sends "Connection: close": a new TCP connection per request.
local rate = tonumber(os.getenv("WRK_RATE") or "0")
local conns = tonumber(os.getenv("WRK_CONNECTIONS") or "1")
local pause_ms = 0
if rate > 0 then
  pause_ms = conns * 1000 / rate
end
if os.getenv("WRK_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end

if pause_ms > 0 then  -- only when pacing: wrk then arms a timer before every request
  function delay()
    return pause_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p99": %d, "p999": %d, ' ..
    '"max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
