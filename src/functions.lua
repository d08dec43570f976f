#!lua name=leadrouter
--[[
functions.lua - the Redis state of leadrouter and every change to it.

Each input event is one FCALL: it is deduplicated by event_id, refuses to
run before the tenant has a ranking for the event's day (need_rank), applies
the event, drains the tenant's waiting leads and records the decisions it
made, all in one atomic step, so a pick and its mark can never be separated
and a redelivered event re-publishes what was decided the first time.
Everything is in event time; nothing reads the clock.

KEYS[1] is the tenant prefix P = "<ns>:{<tenant>}" (one hash slot per
tenant). Under it:
  :reps         SET of rep ids          :unranked  ZSET (score 0) of reps not
  :rep:<rep>    HASH rep state/profile             in the installed ranking
  :pres:<rep>   ZSET presence history   :m:<rep>   HASH "<day>:<counter>"
  :lead:<lead>  HASH lead state         :queue     ZSET waiting leads
  :e:<event_id> decision refs (dedup)   :snap, :rankday  installed ranking
Replies are JSON text: {"status":"applied"|"duplicate","decisions":[...]},
{"status":"need_rank","need_day":D} or {"status":"rejected","error":"..."}.
Input is validated before the first write: Redis does not roll a function
back when it fails halfway.
]]

-- While the library loads no global is reachable (not even math or
-- redis.call): these locals are bound by entry() at each call.
local call, floor, fmt, find, concat, jdec, jenc

local MS_PER_DAY = 86400000
local HISTORY_KEEP = 32
local SKIPPED_MAX = 32
local DRAIN_MAX = 1000
local MAX_TIERS = 9
local QUEUE_TIER_SCALE = 1e13

local PRESENCE = { AVAILABLE = true, BUSY = true, IN_MEETING = true,
                   OUT_OF_OFFICE = true, OFFLINE = true, DEPARTED = true }
-- Presence spells that end by themselves at `until`.
local SPELL = { BUSY = true, IN_MEETING = true, OUT_OF_OFFICE = true }
local OUTCOME = { NO_ANSWER = true, CONNECTED = true, MEETING_BOOKED = true,
                  OPPORTUNITY_CREATED = true, CLOSED_WON = true,
                  CLOSED_LOST = true, DISQUALIFIED = true }
local CONVERTS = { OPPORTUNITY_CREATED = true, CLOSED_WON = true }
local TERMINAL = { CLOSED_WON = true, CLOSED_LOST = true, DISQUALIFIED = true }

local function day_of(ms)
        return floor(ms / MS_PER_DAY)
end

local function jstr(s)
        if not find(s, '[%c"\\]') then
                return '"' .. s .. '"'
        end
        return jenc(s)
end

-- Shortest text that reads back as the same double.
local function jnum(x)
        if x ~= x or x == math.huge or x == -math.huge then
                return '0'
        end
        local s = fmt('%.15g', x)
        if tonumber(s) ~= x then
                s = fmt('%.17g', x)
        end
        return s
end

local function is_int(s)
        return s ~= nil and find(s, '^%-?%d+$') ~= nil
end

local function rejected(msg)
        return '{"status":"rejected","error":' .. jstr(msg) .. '}'
end

-- Common arguments of the event functions, validated.
local function policy_args(a, i)
        local tiers, maxdef, ttl = tonumber(a[i]), tonumber(a[i + 1]),
                                   tonumber(a[i + 3])
        if not tiers or tiers < 1 or tiers > MAX_TIERS or not maxdef or
            not ttl or ttl < 1 or not a[i + 2] then
                return nil
        end
        return { tiers = tiers, maxdef = maxdef, strategy = a[i + 2],
                 ttl = floor(ttl) }
end

-- Decisions recorded for a processed event, as a duplicate reply.
local function replay(P, refs)
        local list = jdec(refs)
        local out, n = {}, 0
        for i = 1, #list do
                local lead, attempt = string.match(list[i], '^(.*)#(%d+)$')
                local d = lead and call('HGET', P .. ':lead:' .. lead,
                                        'd' .. attempt)
                if d then
                        n = n + 1
                        out[n] = d
                end
        end
        return '{"status":"duplicate","decisions":[' .. concat(out, ',') ..
            ']}'
end

-- Steps 1-2 of every event: dedup and the ranking check. Returns the call
-- context, or nil and the reply to give.
local function begin(P, eid, tenant, t, pol)
        local ekey = P .. ':e:' .. eid
        local v = call('MGET', ekey, P .. ':rankday')
        if v[1] then
                return nil, replay(P, v[1])
        end
        local day = day_of(t)
        local rankday = tonumber(v[2])
        if not rankday or day > rankday then
                return nil, fmt('{"status":"need_rank","need_day":%d}', day)
        end
        return { P = P, ekey = ekey, tenant = tenant, t = t, day = day,
                 tiers = pol.tiers, maxdef = pol.maxdef,
                 strategy = pol.strategy, ttl = pol.ttl,
                 reps = {}, out = {}, refs = {} }
end

-- Records the dedup key and answers "applied" with the decisions made.
local function finish(cx)
        local refs, q = cx.refs, {}
        for i = 1, #refs do
                q[i] = jstr(refs[i])
        end
        call('SET', cx.ekey, '[' .. concat(q, ',') .. ']', 'EX', cx.ttl)
        return '{"status":"applied","decisions":[' .. concat(cx.out, ',') ..
            ']}'
end

-- A rep exists from its first event of any kind, in the bottom tier.
local function rep_ensure(cx, rep)
        local rk = cx.P .. ':rep:' .. rep
        if call('HSETNX', rk, 'tier', cx.tiers) == 1 then
                call('HSET', rk, 'active', 1, 'handled', 0, 'open', 0)
                call('SADD', cx.P .. ':reps', rep)
                call('ZADD', cx.P .. ':unranked', 0, rep)
        end
        return rk
end

local function open_dec(rk)
        if call('HINCRBY', rk, 'open', -1) < 0 then
                call('HSET', rk, 'open', 0)
        end
end

-- Routing state of a rep, read once per call and kept current by assign().
local function rep_load(cx, id)
        local r = cx.reps[id]
        if r then
                return r
        end
        local v = call('HMGET', cx.P .. ':rep:' .. id, 'active', 'tier', 'st',
                       'st_at', 'until', 'open', 'max_open', 'tday', 'tn')
        r = { active = v[1] == '1', tier = tonumber(v[2]) or cx.tiers,
              st = v[3] or nil, st_at = tonumber(v[4]),
              untl = tonumber(v[5]), open = tonumber(v[6]) or 0,
              max_open = tonumber(v[7]) or cx.maxdef,
              tday = tonumber(v[8]), tn = tonumber(v[9]) or 0 }
        cx.reps[id] = r
        return r
end

-- Presence of a rep at the call's event time: the current status when it
-- is not newer than t, else the history entry in force at t.
local function presence(cx, id, r)
        local t = cx.t
        local st, untl
        if r.st_at and r.st_at <= t then
                st, untl = r.st, r.untl
        elseif r.st_at then
                local h = call('ZREVRANGEBYSCORE', cx.P .. ':pres:' .. id, t,
                               '-inf', 'LIMIT', 0, 1)
                if h[1] then
                        local s, u = string.match(h[1], '^[^|]*|([^|]*)|([^|]*)|')
                        st, untl = s, tonumber(u)
                end
        end
        if not st then
                return 'OFFLINE'
        end
        if SPELL[st] and untl and untl <= t then
                return 'AVAILABLE'
        end
        return st
end

-- Reps in ranking order: {rep_id, composite, rank}; the installed ranking,
-- then reps new since, by rep_id, with composite 0.
local function rank_order(cx)
        local o = cx.order
        if o then
                return o
        end
        local s = call('GET', cx.P .. ':snap')
        o = s and jdec(s).reps or {}
        local n = #o
        local news = call('ZRANGE', cx.P .. ':unranked', 0, -1)
        for i = 1, #news do
                o[n + i] = { news[i], 0, n + i }
        end
        cx.order = o
        return o
end

local function assigned_today(cx, r)
        if r.tday == cx.day then
                return r.tn
        end
        return 0
end

-- Whether candidate (r, id) beats the current best b of its tier.
local function beats(cx, r, id, comp, b)
        if comp ~= b.comp then
                return comp > b.comp
        end
        local x, y = assigned_today(cx, r), assigned_today(cx, b.r)
        if x ~= y then
                return x < y
        end
        return id < b.id
end

-- The rep for a lead of tier lt at the call's event time, or nil.
local function choose(cx, lt)
        local order = rank_order(cx)
        local best = {}
        -- why[i]: why rep i cannot take the lead, or its tier when it can.
        local why = {}
        for i = 1, #order do
                local e = order[i]
                local comp = e[2]
                local b = best[lt]
                if b and comp < b.comp then
                        break
                end
                local id = e[1]
                local r = rep_load(cx, id)
                if r.active then
                        local p = r.pres
                        if not p then
                                p = presence(cx, id, r)
                                r.pres = p
                        end
                        if p ~= 'AVAILABLE' then
                                why[i] = p
                        elseif r.open >= r.max_open then
                                why[i] = 'AT_CAPACITY'
                        else
                                local tier = r.tier
                                why[i] = tier
                                local cb = best[tier]
                                if not cb or beats(cx, r, id, comp, cb) then
                                        best[tier] = { i = i, id = id, r = r,
                                                       comp = comp,
                                                       rank = e[3] }
                                end
                        end
                end
        end
        local pick = best[lt]
        local d = 1
        while not pick and d < MAX_TIERS do
                pick = best[lt - d] or best[lt + d]
                d = d + 1
        end
        if not pick then
                return nil
        end
        -- Better-ranked reps passed over; same-tier candidates before the
        -- pick only lost the tie-break and are not listed.
        local sk, k = {}, 0
        for i = 1, pick.i - 1 do
                local w = why[i]
                if w and w ~= pick.r.tier then
                        if type(w) == 'number' then
                                w = 'TIER'
                        end
                        k = k + 1
                        sk[k] = '{"rep_id":' .. jstr(order[i][1]) ..
                            ',"why":"' .. w .. '"}'
                        if k == SKIPPED_MAX then
                                break
                        end
                end
        end
        pick.skipped = sk
        return pick
end

local function lead_load(P, lead_id)
        local v = call('HMGET', P .. ':lead:' .. lead_id, 'tier', 'created_at',
                       'eid', 'st', 'sp', 'so', 'attempt')
        return { tier = tonumber(v[1]) or 0, created_at = tonumber(v[2]) or 0,
                 eid = v[3] or '', st = v[4] or '',
                 sp = is_int(v[5]) and v[5] or '0',
                 so = is_int(v[6]) and v[6] or '0',
                 attempt = tonumber(v[7]) or 0 }
end

local function assign(cx, lead_id, L, pick, reason)
        local P, t, day, r, id = cx.P, cx.t, cx.day, pick.r, pick.id
        local attempt = L.attempt + 1
        local wait = 0
        if reason == 'QUEUED' then
                wait = t - L.created_at
                if wait < 0 then
                        wait = 0
                end
        end
        local d = '{"event_id":' .. jstr(L.eid .. '#' .. attempt) ..
            ',"tenant_id":' .. jstr(cx.tenant) ..
            ',"lead_id":' .. jstr(lead_id) ..
            ',"rep_id":' .. jstr(id) ..
            fmt(',"decided_at":%d,"attempt":%d,"reason":"%s","strategy":',
                t, attempt, reason) .. jstr(cx.strategy) ..
            fmt(',"lead_tier":%d,"rep_tier":%d,"rep_rank":%d,"rep_score":',
                L.tier, r.tier, pick.rank) .. jnum(pick.comp) ..
            fmt(',"wait_ms":%d,"skipped":[', wait) ..
            concat(pick.skipped, ',') ..
            '],"source_topic":' .. jstr(L.st) ..
            ',"source_partition":' .. L.sp ..
            ',"source_offset":' .. L.so .. '}'

        r.open = r.open + 1
        if r.tday == day then
                r.tn = r.tn + 1
        else
                r.tday, r.tn = day, 1
        end
        local rk = P .. ':rep:' .. id
        call('HSET', rk, 'open', r.open, 'tday', day, 'tn', r.tn)
        call('HINCRBY', rk, 'handled', 1)
        call('HINCRBY', P .. ':m:' .. id, fmt('%d:n%d', day, L.tier), 1)
        call('HSET', P .. ':lead:' .. lead_id, 'rep', id, 'at', t, 't0', t,
             'day', day, 'cls', L.tier, 'state', 'assigned',
             'attempt', attempt, 'd' .. attempt, d)
        L.attempt = attempt
        local n = #cx.out + 1
        cx.out[n] = d
        cx.refs[n] = lead_id .. '#' .. attempt
end

-- Assigns waiting leads, best first, while a rep can take them.
-- true when the queue is empty afterwards.
local function drain(cx)
        local qk = cx.P .. ':queue'
        for _ = 1, DRAIN_MAX do
                local lead_id = call('ZRANGE', qk, 0, 0)[1]
                if not lead_id then
                        return true
                end
                local L = lead_load(cx.P, lead_id)
                local pick = choose(cx, L.tier)
                if not pick then
                        return false
                end
                call('ZREM', qk, lead_id)
                assign(cx, lead_id, L, pick, 'QUEUED')
        end
        return false
end

-- lr_lead P; event_id tenant lead_id created_at lead_tier src_topic
-- src_partition src_offset tiers max_open_default strategy dedup_ttl_s
local function lr_lead(keys, a)
        local P = keys[1]
        local eid, tenant, lead_id = a[1], a[2], a[3]
        local t, lt = tonumber(a[4]), tonumber(a[5])
        local pol = policy_args(a, 9)
        if not (P and eid and tenant and lead_id and t and pol) then
                return rejected('lr_lead: bad arguments')
        end
        if not lt or lt < 1 or lt > MAX_TIERS or lt ~= floor(lt) then
                return rejected('lead tier out of range: ' .. tostring(a[5]))
        end
        if not is_int(a[7]) or not is_int(a[8]) then
                return rejected('lr_lead: bad source partition/offset')
        end
        local cx, reply = begin(P, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local lk = P .. ':lead:' .. lead_id
        local v = call('HMGET', lk, 'state', 'd1')
        if v[2] then
                return '{"status":"duplicate","decisions":[' .. v[2] .. ']}'
        end
        if v[1] then
                return '{"status":"duplicate","decisions":[]}'
        end
        call('HSET', lk, 'state', 'queued', 'created_at', t, 'tier', lt,
             'eid', eid, 'st', a[6], 'sp', a[7], 'so', a[8], 'attempt', 0)
        local L = { tier = lt, created_at = t, eid = eid, st = a[6],
                    sp = a[7], so = a[8], attempt = 0 }
        -- Leads already waiting go first; if some still wait, no rep is free.
        local pick = drain(cx) and choose(cx, lt)
        if pick then
                assign(cx, lead_id, L, pick,
                       pick.r.tier == lt and 'RANKED' or 'FALLBACK_TIER')
        else
                call('ZADD', P .. ':queue', lt * QUEUE_TIER_SCALE + t, lead_id)
        end
        return finish(cx)
end

-- lr_outcome P; event_id tenant rep_id lead_id occurred_at outcome
-- duration_seconds deal_value_cents|"" tiers max_open_default strategy
-- dedup_ttl_s
local function lr_outcome(keys, a)
        local P = keys[1]
        local eid, tenant, rep, lead_id = a[1], a[2], a[3], a[4]
        local t, oc, value = tonumber(a[5]), a[6], a[8]
        local pol = policy_args(a, 9)
        if not (P and eid and tenant and rep and lead_id and t and pol) then
                return rejected('lr_outcome: bad arguments')
        end
        if not OUTCOME[oc] then
                return rejected('unknown outcome: ' .. tostring(oc))
        end
        if value ~= '' and not is_int(value) then
                return rejected('bad deal_value_cents: ' .. tostring(value))
        end
        local cx, reply = begin(P, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local rk = rep_ensure(cx, rep)
        local lk = P .. ':lead:' .. lead_id
        local mk = P .. ':m:' .. rep
        local day = cx.day
        local v = call('HMGET', lk, 'state', 'rep', 'cls', 'day', 'at', 't0',
                       'touched', 'conv', 'closed', 'tier')
        call('HINCRBY', mk, day .. ':calls', 1)
        -- Outcomes after close only count the call.
        if v[9] ~= '1' then
                local cls, lday, at, t0 = tonumber(v[3]) or 0, v[4],
                                          tonumber(v[5]), tonumber(v[6])
                local conv = v[8] == '1'
                local lf, n = {}, 0
                local function set(f, x)
                        lf[n + 1], lf[n + 2] = f, x
                        n = n + 2
                end
                if v[2] ~= rep then
                        -- Attribution (history import, manual reassignment):
                        -- the lead is this rep's from now, a new entry in
                        -- the rep's cohort of today.
                        if v[2] and v[1] ~= 'queued' then
                                open_dec(P .. ':rep:' .. v[2])
                        end
                        if v[1] == 'queued' then
                                call('ZREM', P .. ':queue', lead_id)
                        end
                        cls, lday, t0, conv = tonumber(v[10]) or 0, day, t,
                                              false
                        set('rep', rep)
                        set('cls', cls)
                        set('day', day)
                        set('t0', t)
                        set('conv', 0)
                        set('state', 'attributed')
                        call('HINCRBY', rk, 'open', 1)
                        call('HINCRBY', rk, 'handled', 1)
                        call('HINCRBY', mk, fmt('%d:n%d', day, cls), 1)
                end
                if v[7] ~= '1' then
                        set('touched', 1)
                        if at then
                                local m = (t - at) / 60000
                                call('HINCRBYFLOAT', mk, day .. ':sts',
                                     jnum(m > 0 and m or 0))
                                call('HINCRBY', mk, day .. ':stn', 1)
                        end
                end
                if CONVERTS[oc] and not conv then
                        conv = true
                        set('conv', 1)
                        call('HINCRBY', mk, lday .. ':c' .. cls, 1)
                end
                if TERMINAL[oc] then
                        set('closed', 1)
                        open_dec(rk)
                        if not conv then
                                call('HINCRBY', mk, lday .. ':x' .. cls, 1)
                        end
                        if oc == 'CLOSED_WON' then
                                call('HINCRBY', mk, day .. ':won', 1)
                                if value ~= '' then
                                        call('HINCRBY', mk, day .. ':wv', value)
                                end
                        elseif oc == 'CLOSED_LOST' then
                                call('HINCRBY', mk, day .. ':lost', 1)
                        end
                        if oc ~= 'DISQUALIFIED' then
                                local c = (t - (t0 or t)) / MS_PER_DAY
                                call('HINCRBYFLOAT', mk, day .. ':cys',
                                     jnum(c > 0 and c or 0))
                                call('HINCRBY', mk, day .. ':cyn', 1)
                        end
                end
                if n > 0 then
                        call('HSET', lk, unpack(lf))
                end
        end
        drain(cx)
        return finish(cx)
end

local PROFILE = { 'name', 'team', 'regions', 'tz', 'hours', 'hired_at',
                  'max_open' }

-- lr_status P; event_id tenant rep_id occurred_at status until|""
-- display_name team regions_json timezone working_hours hired_at
-- max_open_leads (each "" when absent) tiers max_open_default strategy
-- dedup_ttl_s
local function lr_status(keys, a)
        local P = keys[1]
        local eid, tenant, rep = a[1], a[2], a[3]
        local t, status, untl = tonumber(a[4]), a[5], a[6]
        local pol = policy_args(a, 14)
        if not (P and eid and tenant and rep and t and untl and pol) then
                return rejected('lr_status: bad arguments')
        end
        if not PRESENCE[status] then
                return rejected('unknown status: ' .. tostring(status))
        end
        if untl ~= '' and not is_int(untl) then
                return rejected('bad until: ' .. untl)
        end
        for i = 7, 13 do
                if not a[i] then
                        return rejected('lr_status: bad arguments')
                end
        end
        if (a[12] ~= '' and not is_int(a[12])) or
            (a[13] ~= '' and not is_int(a[13])) then
                return rejected('bad hired_at/max_open_leads')
        end
        local cx, reply = begin(P, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local rk = rep_ensure(cx, rep)
        local hk = P .. ':pres:' .. rep
        call('ZADD', hk, t, fmt('%d|%s|%s|%s', t, status, untl, eid))
        call('ZREMRANGEBYRANK', hk, 0, -(HISTORY_KEEP + 1))
        local v = call('HMGET', rk, 'st_at', 'departed')
        local f, n = {}, 0
        local function set(k, x)
                f[n + 1], f[n + 2] = k, x
                n = n + 2
        end
        -- A departed rep stays departed; later statuses are history only.
        if v[2] ~= '1' then
                if status == 'DEPARTED' then
                        set('active', 0)
                        set('departed', 1)
                        set('st', status)
                        set('st_at', t)
                        set('until', '')
                        call('ZREM', P .. ':unranked', rep)
                elseif not tonumber(v[1]) or t >= tonumber(v[1]) then
                        set('st', status)
                        set('st_at', t)
                        set('until', untl)
                end
        end
        for i = 1, #PROFILE do
                local x = a[6 + i]
                if x ~= '' then
                        set(PROFILE[i], x)
                end
        end
        if n > 0 then
                call('HSET', rk, unpack(f))
        end
        drain(cx)
        return finish(cx)
end

local function chunked(cmd, key, list)
        for i = 1, #list, 1000 do
                call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
        end
end

-- lr_rank_install P; tenant day evaluate(0/1) prune_before_day, then per
-- rep: rep_id composite rank new_tier. Installs only a newer day.
local function lr_rank_install(keys, a)
        local P = keys[1]
        local day, prune = tonumber(a[2]), tonumber(a[4])
        local evaluate = a[3] == '1'
        if not P or not day or not prune or (#a - 4) % 4 ~= 0 then
                return rejected('lr_rank_install: bad arguments')
        end
        local reps, ranked = {}, {}
        for i = 5, #a, 4 do
                local e = { id = a[i], comp = tonumber(a[i + 1]),
                            rank = tonumber(a[i + 2]),
                            tier = tonumber(a[i + 3]) }
                if not e.comp or not e.rank or not e.tier then
                        return rejected('lr_rank_install: bad rep ' .. a[i])
                end
                reps[#reps + 1] = e
                if e.rank >= 1 then
                        ranked[#ranked + 1] = e
                end
        end
        local rankday = tonumber(call('GET', P .. ':rankday'))
        if rankday and rankday >= day then
                return '{"installed":false}'
        end
        table.sort(ranked, function(x, y)
                if x.rank ~= y.rank then
                        return x.rank < y.rank
                end
                return x.id < y.id
        end)
        local s = {}
        for i = 1, #ranked do
                local e = ranked[i]
                s[i] = '[' .. jstr(e.id) .. ',' .. jnum(e.comp) .. ',' ..
                    fmt('%d', e.rank) .. ']'
        end
        call('SET', P .. ':snap',
             fmt('{"day":%d,"reps":[', day) .. concat(s, ',') .. ']}')
        call('SET', P .. ':rankday', day)
        local ids = {}
        for i = 1, #reps do
                local e = reps[i]
                ids[i] = e.id
                if evaluate and e.tier >= 1 and
                    call('SISMEMBER', P .. ':reps', e.id) == 1 then
                        call('HSET', P .. ':rep:' .. e.id, 'tier', e.tier)
                end
        end
        chunked('ZREM', P .. ':unranked', ids)
        local all = call('SMEMBERS', P .. ':reps')
        for i = 1, #all do
                local mk = P .. ':m:' .. all[i]
                local old = {}
                local fields = call('HKEYS', mk)
                for j = 1, #fields do
                        local d = tonumber(string.match(fields[j], '^(%-?%d+):'))
                        if d and d < prune then
                                old[#old + 1] = fields[j]
                        end
                end
                chunked('HDEL', mk, old)
        end
        return '{"installed":true}'
end

local function entry(fn)
        return function(keys, args)
                call, floor, fmt, find = redis.call, math.floor,
                                         string.format, string.find
                concat, jdec, jenc = table.concat, cjson.decode, cjson.encode
                return fn(keys, args)
        end
end

redis.register_function('lr_lead', entry(lr_lead))
redis.register_function('lr_outcome', entry(lr_outcome))
redis.register_function('lr_status', entry(lr_status))
redis.register_function('lr_rank_install', entry(lr_rank_install))
