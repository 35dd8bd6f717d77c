-- wrk script: POST /api/v1/clients with a unique JSON body per request.
-- Environment: API_KEY (required), IDS_FILE (optional: each thread appends the created ids,
-- from the Location header, to IDS_FILE.<thread>). Prints, at the end, how many answers were
-- 201, how many carried X-Consistency: pending, and how many were something else.
-- WORKSPACE (optional, a company id) creates through /v1/workspace/WORKSPACE/clients
-- instead, the same client in the workspace API's body (the phone as a preferred contact
-- method, the notes as a custom field), with API_KEY holding a staff session token.
local threads = {}
local counter = 0

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    created, pending, other = 0, 0, 0
    local file = os.getenv("IDS_FILE")
    if file then ids = io.open(file .. "." .. tid, "w"); ids:setvbuf("line") end
    math.randomseed(os.time() * 100 + tid)
    prefix = string.format("%d-%d-%d", os.time(), tid, math.random(1000000))
    workspace = os.getenv("WORKSPACE")
    wrk.method = "POST"
    wrk.path = workspace and ("/v1/workspace/" .. workspace .. "/clients") or "/api/v1/clients"
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("API_KEY")
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    local body
    if workspace then
        body = string.format('{"name":"Bench client %s-%d","contactMethods":[{"type":"phone","value":"+1 555-%04d",'
            .. '"isPreferred":true}],"customFields":[{"fieldKey":"notes","value":"created by workspace.sh"}]}',
            prefix, counter, counter % 10000)
    else
        body = string.format('{"name":"Bench client %s-%d","phone":"+1 555-%04d","notes":"created by client-core.sh"}',
            prefix, counter, counter % 10000)
    end
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    if status == 201 then
        created = created + 1
        if ids then
            local location = headers["Location"] or headers["location"]
            if location then ids:write(location:match("([^/]+)$"), "\n") end
        end
    else
        other = other + 1
    end
    local consistency = headers["X-Consistency"] or headers["x-consistency"]
    if consistency == "pending" then pending = pending + 1 end
end

function done(summary, latency, requests)
    local c, p, o = 0, 0, 0
    for _, thread in ipairs(threads) do
        c = c + thread:get("created"); p = p + thread:get("pending"); o = o + thread:get("other")
    end
    io.write(string.format("lua: created %d pending %d other %d\n", c, p, o))
end
