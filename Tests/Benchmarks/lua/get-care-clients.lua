-- wrk script: GET <PATH_PREFIX><id> for ids picked at random from IDS (one per line), with a
-- bearer TOKEN (a staff session for the care API, an API key for /api/v1).
-- Environment: TOKEN, IDS, PATH_PREFIX. Prints how many answers were 200 and how many were not.
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
    prefix = os.getenv("PATH_PREFIX")
    math.randomseed(os.time() * 100 + tid)
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

function request()
    return wrk.format("GET", prefix .. ids[math.random(#ids)])
end

function response(status, headers, body)
    if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
    local o, n = 0, 0
    for _, thread in ipairs(threads) do o = o + thread:get("ok"); n = n + thread:get("other") end
    io.write(string.format("lua: ok %d other %d\n", o, n))
end
