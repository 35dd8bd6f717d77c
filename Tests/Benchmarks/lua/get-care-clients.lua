-- wrk script: GET <PATH_PREFIX><id> for ids picked at random from IDS (one per line), with a
-- bearer TOKEN (a staff session for the care API, an API key for /api/v1).
-- Environment: TOKEN, IDS, PATH_PREFIX. Prints how many answers were 200 and how many were not,
-- and of those, how many of each status.
local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    ok, other = 0, 0
    statuses = {}
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
    if status == 200 then
        ok = ok + 1
    else
        other = other + 1
        statuses[status] = (statuses[status] or 0) + 1
    end
end

function done(summary, latency, requests)
    local o, n, by = 0, 0, {}
    for _, thread in ipairs(threads) do
        o = o + thread:get("ok"); n = n + thread:get("other")
        for status, count in pairs(thread:get("statuses")) do by[status] = (by[status] or 0) + count end
    end
    local parts = {}
    for status, count in pairs(by) do parts[#parts + 1] = status .. ":" .. count end
    table.sort(parts)
    io.write(string.format("lua: ok %d other %d%s\n", o, n, #parts > 0 and (" (" .. table.concat(parts, " ") .. ")") or ""))
end
