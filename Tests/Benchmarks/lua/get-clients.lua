-- wrk script: GET /api/v1/clients/<id> for ids picked at random from IDS (one per line).
-- Environment: API_KEY, IDS. Prints how many answers were 200 and how many were not.
-- WORKSPACE (optional, a company id) reads /v1/workspace/WORKSPACE/clients/<id> instead,
-- with API_KEY holding a staff session token.
local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    ok, other = 0, 0
    ids = {}
    for line in io.lines(os.getenv("IDS")) do
        if #line > 0 then ids[#ids + 1] = line end
    end
    math.randomseed(os.time() * 100 + tid)
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
    local workspace = os.getenv("WORKSPACE")
    base = workspace and ("/v1/workspace/" .. workspace .. "/clients/") or "/api/v1/clients/"
end

function request()
    return wrk.format("GET", base .. ids[math.random(#ids)])
end

function response(status, headers, body)
    if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
    local o, n = 0, 0
    for _, thread in ipairs(threads) do o = o + thread:get("ok"); n = n + thread:get("other") end
    io.write(string.format("lua: ok %d other %d\n", o, n))
end
