-- wrk script for bench/run.sh. The request comes from the environment:
--   WRK_METHOD (GET), WRK_BODY, WRK_CONTENT_TYPE, WRK_AUTHORIZATION, WRK_AMZ_TARGET;
--   WRK_USERS=N replaces "{user}" in the body with user0 … user(N-1), in turn per connection thread.
-- done() prints one line: RESULT <ok responses> <elapsed_us> <p50_us> <p99_us> <errors>
-- (errors = socket errors, timeouts and HTTP statuses >= 400; ok = responses below 400).

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  return v
end

wrk.method = env("WRK_METHOD") or "GET"
wrk.body = env("WRK_BODY")
wrk.headers["Content-Type"] = env("WRK_CONTENT_TYPE")
wrk.headers["Authorization"] = env("WRK_AUTHORIZATION")
wrk.headers["X-Amz-Target"] = env("WRK_AMZ_TARGET")

local users = tonumber(env("WRK_USERS") or "0")
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
end

if users > 0 then
  local n = 0
  function init(args)
    n = offset or 0
  end
  function request()
    n = n + 1
    local body = string.gsub(wrk.body, "{user}", "user" .. (n % users))
    return wrk.format(nil, nil, nil, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests - e.status, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
