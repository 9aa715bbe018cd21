-- wrk's side of bench/lib/wrk.js: rotates requests through the bodies and header sets of a plan,
-- counts statuses and checks one answer in 50, and prints one JSON result in done().
-- Inputs (environment): WRK_REQUESTS, a file of one request per line "<authorization>\t<body>"
-- (either may be empty), WRK_METHOD, WRK_PATH, WRK_CONTENT_TYPE, WRK_CHECK ('active',
-- 'access_token', 'created' or empty), WRK_LABEL_TEMPLATE ('1': replace {n} in the body with a
-- counter unique to this run, with WRK_RUN_ID unique among runs).

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local requests = {}
local templated = os.getenv("WRK_LABEL_TEMPLATE") == "1"
local runId = os.getenv("WRK_RUN_ID") or ""
local method = os.getenv("WRK_METHOD") or "GET"
local path = os.getenv("WRK_PATH") or "/"
local contentType = os.getenv("WRK_CONTENT_TYPE") or ""
local expected = ({ active = '"active":true', access_token = '"access_token":"', created = '"token":"' })[os.getenv("WRK_CHECK") or ""]
local CHECK_EVERY = 50
local counter = 0
-- Globals, so that done() can read them from each thread through thread:get.
responses, non2xx, sampled, ok, bad = 0, 0, 0, 0, 0
statuses = {}
example = ""

local function headersFor(authorization)
  local headers = {}
  if contentType ~= "" then headers["Content-Type"] = contentType end
  if authorization ~= "" then headers["Authorization"] = authorization end
  return headers
end

function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local tab = string.find(line, "\t", 1, true)
    local authorization, body = string.sub(line, 1, tab - 1), string.sub(line, tab + 1)
    if body == "" then body = nil end
    if templated then
      table.insert(requests, { headers = headersFor(authorization), body = body })
    else
      table.insert(requests, wrk.format(method, path, headersFor(authorization), body))
    end
  end
end

function request()
  counter = counter + 1
  local r = requests[(counter - 1) % #requests + 1]
  if not templated then return r end
  local at = string.find(r.body, "{n}", 1, true)
  local body = string.sub(r.body, 1, at - 1) .. runId .. "-" .. id .. "-" .. counter .. string.sub(r.body, at + 3)
  return wrk.format(method, path, r.headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if expected and responses % CHECK_EVERY == 0 then
    sampled = sampled + 1
    if status >= 200 and status <= 299 and string.find(body, expected, 1, true) then
      ok = ok + 1
    else
      bad = bad + 1
      if example == "" then example = status .. " " .. string.sub(body, 1, 200) end
    end
  end
end

local function quote(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local non2xxAll, sampledAll, okAll, badAll, firstExample, byStatus = 0, 0, 0, 0, "", {}
  for _, thread in ipairs(threads) do
    non2xxAll = non2xxAll + thread:get("non2xx")
    sampledAll = sampledAll + thread:get("sampled")
    okAll = okAll + thread:get("ok")
    badAll = badAll + thread:get("bad")
    if firstExample == "" then firstExample = thread:get("example") end
    for code, count in pairs(thread:get("statuses")) do byStatus[code] = (byStatus[code] or 0) + count end
  end
  local codes = {}
  for code, count in pairs(byStatus) do table.insert(codes, '"' .. code .. '":' .. count) end
  local seconds = summary.duration / 1e6
  local ms = function(us) return us / 1000 end
  local e = summary.errors
  io.write(string.format(
    '{"generator":"wrk","requestsPerSecond":%f,"totalRequests":%d,"durationSeconds":%f,' ..
    '"latencyMs":{"samples":%d,"mean":%f,"p50":%f,"p90":%f,"p99":%f,"p99_9":%f,"max":%f},' ..
    '"non2xx":%d,"errors":%d,"timeouts":%d,"statusCodes":{%s},' ..
    '"checked":{"sampled":%d,"ok":%d,"bad":%d,"example":%s}}\n',
    summary.requests / seconds, summary.requests, seconds,
    summary.requests, ms(latency.mean), ms(latency:percentile(50)), ms(latency:percentile(90)),
    ms(latency:percentile(99)), ms(latency:percentile(99.9)), ms(latency.max),
    non2xxAll, e.connect + e.read + e.write, e.timeout, table.concat(codes, ","),
    sampledAll, okAll, badAll, firstExample == "" and "null" or quote(firstExample)))
end
