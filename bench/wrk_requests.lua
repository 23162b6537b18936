-- wrk script for bench/harness.py `native_load`: replays the requests of a file, one per line
-- ("METHOD<TAB>PATH<TAB>BODY<TAB>Header: value<TAB>..."), wrk thread t of n sending lines t, t+n,
-- t+2n... (cycling), and prints one JSON line: requests, statuses, latency percentiles.
-- With WRK_PACE_MS set, each connection waits that long after each response before its next
-- request: a paced load (the "half load" of W1) rather than as fast as the server answers.
local threads = {}
local pace = tonumber(os.getenv("WRK_PACE_MS") or "")
if pace then
  function delay()
    return pace
  end
end
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  local step = tonumber(args[2])
  requests_ = {}
  local n = 0
  for line in io.lines(path) do
    if n % step == id then
      local fields = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, field) end
      local headers = {}
      for i = 4, #fields do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
      table.insert(requests_, wrk.format(fields[1], fields[2], headers, fields[3]))
    end
    n = n + 1
  end
  next_ = 1
  statuses = {}
end

function request()
  local r = requests_[next_]
  next_ = next_ % #requests_ + 1
  return r
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "statuses": {%s}, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, table.concat(parts, ", "),
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
