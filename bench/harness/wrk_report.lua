-- The wrk script of bench/harness/load.py. Requests come from the Lua file named by
-- BENCH_WRK_REQUESTS, a table { {path, {header = value, ...}}, ... }, taken in turn from an
-- offset of each thread's own; "{n}" in a path becomes a value no request used before (a query
-- string no cache has seen). One line at the end: BENCH requests microseconds p50 p95 p99 max
-- errors (latencies in microseconds).
local requests_list = dofile(os.getenv("BENCH_WRK_REQUESTS"))
local threads_created = 0

function setup(thread)
  threads_created = threads_created + 1
  thread:set("prefix", tostring(threads_created))
  thread:set("offset", threads_created * 37)
end

counter = 0

request = function()
  counter = counter + 1
  offset = offset + 1
  local entry = requests_list[(offset % #requests_list) + 1]
  local path = string.gsub(entry[1], "{n}", prefix .. "-" .. counter)
  return wrk.format("GET", path, entry[2])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
