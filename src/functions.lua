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
  :reps         HASH rep_id -> routing state of the rep, MessagePack values
                active tier handled open max_open tday tn st st_at until
                composite composite_text (max_open nil = policy default;
                tn: leads assigned on day tday; st/st_at/until: presence);
                read it with lr_reps
  :rep:<rep>    HASH profile: name team regions tz hours hired_at
  :pres:<rep>   ZSET presence history "<at>|<status>|<until>|<event_id>"
  :m:<rep>      HASH metric counters "<day>:<counter>" (see rank.h)
  :order        ZSET the installed ranking, score = rank (1..n)
  :tier:<T>     ZSET the same, the reps of tier T only
  :unranked     ZSET (score 0) reps created since the ranking was installed
  :rankday      day of the installed ranking
  :lead:<lead>  HASH lead state; d<attempt> = the decision JSON
  :queue        ZSET waiting leads, score lead_tier * 1e13 + created_at
  :e:<event_id> JSON array "<lead_id>#<attempt>" of the event's decisions
Routing state is packed into one hash so that a decision reads the reps it
needs a chunk at a time and writes every rep it changed in one HSET;
MessagePack because Lua's number parsing and formatting (strtod/printf)
dominate the cost of a text format. Numbers going into keys and replies are
formatted with %d, never by concatenating a Lua number (that is %.14g).
Replies are JSON text: {"status":"applied"|"duplicate","decisions":[...]},
{"status":"need_rank","need_day":D} or {"status":"rejected","error":"..."}.
Input is validated before the first write: Redis does not roll a function
back when it fails halfway.
]]

-- No global is reachable while the library loads (not even math or
-- redis.call), and a global read in a call goes through a metamethod:
-- entry() binds these once, at the first call.
local call, floor, fmt, find, match, concat, jenc, jdec, unpack_, mpack,
      munpack, tonumber, tostring, min, huge

local MS_PER_DAY = 86400000
local HISTORY_KEEP = 32
local SKIPPED_MAX = 32
local DRAIN_MAX = 1000
local MAX_TIERS = 9
local QUEUE_TIER_SCALE = 1e13
local CHUNK = 16 -- reps read per round trip while choosing

local PRESENCE = { AVAILABLE = true, BUSY = true, IN_MEETING = true,
                   OUT_OF_OFFICE = true, OFFLINE = true, DEPARTED = true }
-- Presence spells that end by themselves at `until`.
local SPELL = { BUSY = true, IN_MEETING = true, OUT_OF_OFFICE = true }
local OUTCOME = { NO_ANSWER = true, CONNECTED = true, MEETING_BOOKED = true,
                  OPPORTUNITY_CREATED = true, CLOSED_WON = true,
                  CLOSED_LOST = true, DISQUALIFIED = true }
local CONVERTS = { OPPORTUNITY_CREATED = true, CLOSED_WON = true }
local TERMINAL = { CLOSED_WON = true, CLOSED_LOST = true, DISQUALIFIED = true }
local PROFILE = { 'name', 'team', 'regions', 'tz', 'hours', 'hired_at' }

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
        if x ~= x or x == huge or x == -huge then
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

local function chunked(cmd, key, list)
        for i = 1, #list, 1000 do
                call(cmd, key, unpack_(list, i, min(i + 999, #list)))
        end
end

-- ---- rep routing state ----------------------------------------------------

local function rs_parse(s)
        local a, tier, handled, open, maxo, tday, tn, st, st_at, untl, comp,
              comp_s = munpack(s)
        if not tn then
                error('corrupt rep state')
        end
        return { active = a == 1, tier = tier, handled = handled,
                 open = open, maxo = maxo, tday = tday, tn = tn, st = st,
                 st_at = st_at, untl = untl, comp = comp or 0,
                 comp_s = comp_s }
end

local function rs_pack(r)
        return mpack(r.active and 1 or 0, r.tier, r.handled, r.open, r.maxo,
                     r.tday, r.tn, r.st, r.st_at, r.untl, r.comp, r.comp_s)
end

-- The state of rep id, read at most once per call; raw: its packed text
-- when already fetched (false: absent). nil for an unknown rep.
local function rep_get(cx, id, raw)
        local r = cx.reps[id]
        if r then
                return r
        end
        if raw == nil then
                raw = call('HGET', cx.P .. ':reps', id)
        end
        if not raw then
                return nil
        end
        r = rs_parse(raw)
        cx.reps[id] = r
        return r
end

-- Marks r to be written back by finish().
local function rep_dirty(cx, id, r)
        if not r.dirty then
                r.dirty = true
                cx.dirty[#cx.dirty + 1] = id
        end
end

-- A rep exists from its first event of any kind, in the bottom tier.
local function rep_ensure(cx, id)
        local r = rep_get(cx, id)
        if not r then
                r = { active = true, tier = cx.tiers, handled = 0, open = 0,
                      tn = 0, comp = 0 }
                cx.reps[id] = r
                rep_dirty(cx, id, r)
                call('ZADD', cx.P .. ':unranked', 0, id)
        end
        return r
end

local function open_dec(cx, id, r)
        if r.open > 0 then
                r.open = r.open - 1
                rep_dirty(cx, id, r)
        end
end

-- ---- call context -----------------------------------------------------------

-- Decisions recorded for a processed event, as a duplicate reply.
local function replay(P, refs)
        local list = jdec(refs)
        local out, n = {}, 0
        for i = 1, #list do
                local lead, attempt = match(list[i], '^(.*)#(%d+)$')
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

-- Common policy arguments of the event functions, validated.
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
                 day_s = fmt('%d', day), t_s = fmt('%d', t),
                 tiers = pol.tiers, maxdef = pol.maxdef,
                 strategy = pol.strategy, ttl_s = fmt('%d', pol.ttl),
                 reps = {}, dirty = {}, out = {}, refs = {}, lists = {} }
end

-- Writes the reps changed, records the dedup key and answers "applied".
local function finish(cx)
        local d, f = cx.dirty, {}
        for i = 1, #d do
                f[2 * i - 1] = d[i]
                f[2 * i] = rs_pack(cx.reps[d[i]])
        end
        if #f > 0 then
                chunked('HSET', cx.P .. ':reps', f)
        end
        local refs, q = cx.refs, {}
        for i = 1, #refs do
                q[i] = jstr(refs[i])
        end
        call('SET', cx.ekey, '[' .. concat(q, ',') .. ']', 'EX', cx.ttl_s)
        return '{"status":"applied","decisions":[' .. concat(cx.out, ',') ..
            ']}'
end

-- ---- choosing a rep ---------------------------------------------------------

-- Presence of a rep at the call's event time: the current status when it
-- is not newer than t, else the history entry in force at t.
local function presence(cx, id, r)
        local t = cx.t
        local st, untl
        if r.st_at and r.st_at <= t then
                st, untl = r.st, r.untl
        elseif r.st_at then
                local h = call('ZREVRANGEBYSCORE', cx.P .. ':pres:' .. id,
                               cx.t_s, '-inf', 'LIMIT', 0, 1)
                if h[1] then
                        local s, u = match(h[1], '^[^|]*|([^|]*)|([^|]*)|')
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

-- Why rep r cannot take a lead at the call's event time (presence symbol
-- or AT_CAPACITY), or nil when it can. Departed reps are not asked.
local function unavailable(cx, id, r)
        local p = r.pres
        if not p then
                p = presence(cx, id, r)
                r.pres = p
        end
        if p ~= 'AVAILABLE' then
                return p
        end
        if r.open >= (r.maxo or cx.maxdef) then
                return 'AT_CAPACITY'
        end
        return nil
end

-- A ranking (ZSET key, score = rank) read a chunk per round trip:
-- l.id[i], l.raw[i] (packed state), l.pos[i] (rank). The reps new since
-- the ranking form one more list, cx.unranked, by rep_id.
local function list_fill(cx, l, key)
        local n, ids, z = l.n, {}, nil
        if key then
                z = call('ZRANGE', key, n, n + CHUNK - 1, 'WITHSCORES')
                for j = 1, #z / 2 do
                        ids[j] = z[2 * j - 1]
                        l.pos[n + j] = tonumber(z[2 * j])
                end
        else
                ids = call('ZRANGE', cx.P .. ':unranked', n, n + CHUNK - 1)
        end
        l.done = #ids < CHUNK
        if #ids > 0 then
                local v = call('HMGET', cx.P .. ':reps', unpack_(ids))
                for j = 1, #ids do
                        l.id[n + j] = ids[j]
                        l.raw[n + j] = v[j]
                end
                l.n = n + #ids
        end
end

local function list_new()
        return { n = 0, id = {}, raw = {}, pos = {} }
end

-- Entry i of ranking `key` followed by the unranked reps (whose composite
-- is 0): rep_id, packed state, rank (for an unranked rep: number ranked +
-- its place). nil past the end.
local function ranking_at(cx, key, i)
        local l = cx.lists[key]
        if not l then
                l = list_new()
                cx.lists[key] = l
        end
        while i > l.n and not l.done do
                list_fill(cx, l, key)
        end
        if i <= l.n then
                return l.id[i], l.raw[i], l.pos[i]
        end
        local u = cx.unranked
        if not u then
                u = list_new()
                cx.unranked = u
        end
        local j = i - l.n
        while j > u.n and not u.done do
                list_fill(cx, u, nil)
        end
        if j > u.n then
                return nil
        end
        if not cx.nranked then
                cx.nranked = call('ZCARD', cx.P .. ':order')
        end
        return u.id[j], u.raw[j], cx.nranked + j
end

local function assigned_today(cx, r)
        if r.tday == cx.day then
                return r.tn
        end
        return 0
end

-- Whether candidate (r, id) beats b, the best so far of its tier.
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

-- The best candidate of tier T: the highest composite; ties -> fewer leads
-- assigned today, then rep_id. Reads tier T's ranking in rank order and
-- stops once the best is settled. nil when T has no candidate.
local function tier_best(cx, T)
        local key = cx.P .. ':tier:' .. T
        local b
        local i = 0
        while true do
                i = i + 1
                local id, raw, rank = ranking_at(cx, key, i)
                if not id then
                        break
                end
                local r = rep_get(cx, id, raw)
                if r and r.tier == T then
                        local comp = r.comp
                        if b and comp < b.comp then
                                break
                        end
                        if r.active and not unavailable(cx, id, r) and
                            (not b or beats(cx, r, id, comp, b)) then
                                b = { id = id, r = r, comp = comp,
                                      rank = rank }
                        end
                end
        end
        return b
end

-- The better-ranked reps passed over for pick, and why (at most
-- SKIPPED_MAX, in rank order). Same-tier candidates ranked before the pick
-- only lost the tie-break and are not listed.
local function skipped(cx, pick)
        local key = cx.P .. ':order'
        local sk, k, i = {}, 0, 0
        if pick.rank == 1 then
                return sk
        end
        while k < SKIPPED_MAX do
                i = i + 1
                local id, raw, rank = ranking_at(cx, key, i)
                if not id or rank >= pick.rank then
                        break
                end
                local r = rep_get(cx, id, raw)
                if r and r.active then
                        local w = unavailable(cx, id, r)
                        if not w and r.tier ~= pick.r.tier then
                                w = 'TIER'
                        end
                        if w then
                                k = k + 1
                                sk[k] = '{"rep_id":' .. jstr(id) ..
                                    ',"why":"' .. w .. '"}'
                        end
                end
        end
        return sk
end

-- The rep for a lead of tier lt at the call's event time, or nil: the best
-- of the lead's tier, else of the nearest tier, the better one first.
local function choose(cx, lt)
        local pick = tier_best(cx, lt)
        local d = 1
        while not pick and (lt - d >= 1 or lt + d <= cx.tiers) do
                pick = (lt - d >= 1 and tier_best(cx, lt - d)) or
                       (lt + d <= cx.tiers and tier_best(cx, lt + d)) or nil
                d = d + 1
        end
        if pick then
                pick.skipped = skipped(cx, pick)
        end
        return pick
end

-- ---- leads ------------------------------------------------------------------

local function lead_load(P, lead_id)
        local v = call('HMGET', P .. ':lead:' .. lead_id, 'tier', 'created_at',
                       'eid', 'st', 'sp', 'so', 'attempt')
        return { tier = tonumber(v[1]) or 0, created_at = tonumber(v[2]) or 0,
                 eid = v[3] or '', st = v[4] or '',
                 sp = is_int(v[5]) and v[5] or '0',
                 so = is_int(v[6]) and v[6] or '0',
                 attempt = tonumber(v[7]) or 0 }
end

-- Gives the lead to pick.r: decision JSON, lead and rep state, cohort.
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
        local d = '{"event_id":' .. jstr(L.eid .. fmt('#%d', attempt)) ..
            ',"tenant_id":' .. jstr(cx.tenant) ..
            ',"lead_id":' .. jstr(lead_id) ..
            ',"rep_id":' .. jstr(id) ..
            fmt(',"decided_at":%d,"attempt":%d,"reason":"%s","strategy":',
                t, attempt, reason) .. jstr(cx.strategy) ..
            fmt(',"lead_tier":%d,"rep_tier":%d,"rep_rank":%d,"rep_score":',
                L.tier, r.tier, pick.rank) ..
            (pick.comp ~= 0 and (r.comp_s or jnum(pick.comp)) or '0') ..
            fmt(',"wait_ms":%d,"skipped":[', wait) ..
            concat(pick.skipped, ',') ..
            '],"source_topic":' .. jstr(L.st) ..
            ',"source_partition":' .. L.sp ..
            ',"source_offset":' .. L.so .. '}'

        r.open = r.open + 1
        r.handled = r.handled + 1
        if r.tday == day then
                r.tn = r.tn + 1
        else
                r.tday, r.tn = day, 1
        end
        rep_dirty(cx, id, r)
        local tier_s, att_s = fmt('%d', L.tier), fmt('%d', attempt)
        call('HINCRBY', P .. ':m:' .. id, cx.day_s .. ':n' .. tier_s, 1)
        local lk = P .. ':lead:' .. lead_id
        if L.new then
                call('HSET', lk, 'rep', id, 'at', cx.t_s, 't0', cx.t_s,
                     'day', cx.day_s, 'cls', tier_s, 'state', 'assigned',
                     'attempt', att_s, 'd' .. att_s, d,
                     'created_at', L.created_s, 'tier', tier_s, 'eid', L.eid,
                     'st', L.st, 'sp', L.sp, 'so', L.so)
        else
                call('HSET', lk, 'rep', id, 'at', cx.t_s, 't0', cx.t_s,
                     'day', cx.day_s, 'cls', tier_s, 'state', 'assigned',
                     'attempt', att_s, 'd' .. att_s, d)
        end
        L.attempt = attempt
        local n = #cx.out + 1
        cx.out[n] = d
        cx.refs[n] = lead_id .. fmt('#%d', attempt)
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

-- ---- the functions ------------------------------------------------------------

-- lr_lead P; event_id tenant lead_id created_at lead_tier src_topic
-- src_partition src_offset tiers max_open_default strategy dedup_ttl_s
local function lr_lead(keys, a)
        local P = keys[1]
        local eid, tenant, lead_id = a[1], a[2], a[3]
        local t, lt = tonumber(a[4]), tonumber(a[5])
        local pol = policy_args(a, 9)
        if not (P and eid and tenant and lead_id and t and pol and a[6]) then
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
        local L = { tier = lt, created_at = t, created_s = a[4], eid = eid,
                    st = a[6], sp = a[7], so = a[8], attempt = 0, new = true }
        -- Leads already waiting go first; if some still wait, no rep is free.
        local pick = drain(cx) and choose(cx, lt)
        if pick then
                assign(cx, lead_id, L, pick,
                       pick.r.tier == lt and 'RANKED' or 'FALLBACK_TIER')
        else
                call('HSET', lk, 'state', 'queued', 'created_at', a[4],
                     'tier', a[5], 'eid', eid, 'st', a[6], 'sp', a[7],
                     'so', a[8], 'attempt', '0')
                call('ZADD', P .. ':queue',
                     fmt('%d', lt * QUEUE_TIER_SCALE + t), lead_id)
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
        local r = rep_ensure(cx, rep)
        local lk = P .. ':lead:' .. lead_id
        local mk = P .. ':m:' .. rep
        local day = cx.day_s
        local v = call('HMGET', lk, 'state', 'rep', 'cls', 'day', 'at', 't0',
                       'touched', 'conv', 'closed', 'tier')
        call('HINCRBY', mk, day .. ':calls', 1)
        -- Outcomes after close only count the call.
        if v[9] ~= '1' then
                local cls, lday, at, t0 = v[3] or '0', v[4], tonumber(v[5]),
                                          tonumber(v[6])
                local conv = v[8] == '1'
                local lf, n = {}, 0
                local function set(f, x)
                        lf[n + 1], lf[n + 2] = f, x
                        n = n + 2
                end
                if v[2] ~= rep then
                        -- Attribution (history import, manual reassignment):
                        -- the lead is this rep's from now, a new entry in its
                        -- cohort of today.
                        if v[1] == 'queued' then
                                call('ZREM', P .. ':queue', lead_id)
                        elseif v[2] and not conv then
                                local prev = rep_get(cx, v[2])
                                if prev then
                                        open_dec(cx, v[2], prev)
                                end
                        end
                        cls, lday, t0, conv = v[10] or '0', day, t, false
                        set('rep', rep)
                        set('cls', cls)
                        set('day', day)
                        set('t0', cx.t_s)
                        set('conv', '0')
                        set('state', 'attributed')
                        r.open = r.open + 1
                        r.handled = r.handled + 1
                        rep_dirty(cx, rep, r)
                        call('HINCRBY', mk, day .. ':n' .. cls, 1)
                end
                if v[7] ~= '1' then
                        set('touched', '1')
                        if at then
                                local m = (t - at) / 60000
                                call('HINCRBYFLOAT', mk, day .. ':sts',
                                     jnum(m > 0 and m or 0))
                                call('HINCRBY', mk, day .. ':stn', 1)
                        end
                end
                -- A lead is open (counts against capacity) until it
                -- converts or closes: an opportunity in its sales cycle is
                -- pipeline, not a lead waiting for the rep's first touches.
                if CONVERTS[oc] and not conv then
                        conv = true
                        set('conv', '1')
                        open_dec(cx, rep, r)
                        call('HINCRBY', mk, lday .. ':c' .. cls, 1)
                end
                if TERMINAL[oc] then
                        set('closed', '1')
                        if not conv then
                                open_dec(cx, rep, r)
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
                        call('HSET', lk, unpack_(lf))
                end
        end
        drain(cx)
        return finish(cx)
end

-- lr_status P; event_id tenant rep_id occurred_at status until|""
-- display_name team regions_json timezone working_hours hired_at
-- max_open_leads (each "" when absent) tiers max_open_default strategy
-- dedup_ttl_s
local function lr_status(keys, a)
        local P = keys[1]
        local eid, tenant, rep = a[1], a[2], a[3]
        local t, status, untl, maxo = tonumber(a[4]), a[5], a[6], a[13]
        local pol = policy_args(a, 14)
        if not (P and eid and tenant and rep and t and untl and maxo and
                pol) then
                return rejected('lr_status: bad arguments')
        end
        if not PRESENCE[status] then
                return rejected('unknown status: ' .. tostring(status))
        end
        if untl ~= '' and not is_int(untl) then
                return rejected('bad until: ' .. untl)
        end
        if (a[12] ~= '' and not is_int(a[12])) or
            (maxo ~= '' and not find(maxo, '^%d+$')) then
                return rejected('bad hired_at/max_open_leads')
        end
        local cx, reply = begin(P, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local r = rep_ensure(cx, rep)
        local hk = P .. ':pres:' .. rep
        call('ZADD', hk, a[4], a[4] .. '|' .. status .. '|' .. untl .. '|' .. eid)
        call('ZREMRANGEBYRANK', hk, 0, -(HISTORY_KEEP + 1))
        -- A departed rep stays departed; later statuses are history only.
        if r.active then
                if status == 'DEPARTED' then
                        r.active = false
                        r.st, r.st_at, r.untl = status, t, nil
                        call('ZREM', P .. ':unranked', rep)
                        rep_dirty(cx, rep, r)
                elseif not r.st_at or t >= r.st_at then
                        r.st, r.st_at, r.untl = status, t, tonumber(untl)
                        rep_dirty(cx, rep, r)
                end
        end
        if maxo ~= '' then
                r.maxo = tonumber(maxo)
                rep_dirty(cx, rep, r)
        end
        local f, n = {}, 0
        for i = 1, #PROFILE do
                local x = a[6 + i]
                if x ~= '' then
                        f[n + 1], f[n + 2] = PROFILE[i], x
                        n = n + 2
                end
        end
        if n > 0 then
                call('HSET', P .. ':rep:' .. rep, unpack_(f))
        end
        drain(cx)
        return finish(cx)
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
        local reps, ids, order, ranked = {}, {}, {}, {}
        for i = 5, #a, 4 do
                local e = { id = a[i], comp = tonumber(a[i + 1]),
                            rank = tonumber(a[i + 2]), rank_s = a[i + 2],
                            tier = tonumber(a[i + 3]) }
                if not e.comp or not e.rank or not e.tier then
                        return rejected('lr_rank_install: bad rep ' .. a[i])
                end
                reps[#reps + 1] = e
                ids[#ids + 1] = e.id
                if e.rank >= 1 then
                        order[#order + 1] = a[i + 2]
                        order[#order + 1] = e.id
                        ranked[#ranked + 1] = e.id
                end
        end
        local rankday = tonumber(call('GET', P .. ':rankday'))
        if rankday and rankday >= day then
                return '{"installed":false}'
        end
        local rk = P .. ':reps'
        local tiers = {}
        call('DEL', P .. ':order')
        for T = 1, MAX_TIERS do
                tiers[T] = {}
                call('DEL', P .. ':tier:' .. T)
        end
        chunked('ZADD', P .. ':order', order)
        chunked('ZREM', P .. ':unranked', ranked)
        local f, gone = {}, {}
        for i = 1, #reps, 1000 do
                local v = call('HMGET', rk,
                               unpack_(ids, i, min(i + 999, #ids)))
                for j = 1, #v do
                        local e = reps[i + j - 1]
                        if v[j] then
                                local r = rs_parse(v[j])
                                if e.rank >= 1 then
                                        r.comp, r.comp_s = e.comp, jnum(e.comp)
                                else
                                        r.comp, r.comp_s = 0, nil
                                end
                                if evaluate and e.tier >= 1 and
                                    e.tier <= MAX_TIERS then
                                        r.tier = e.tier
                                end
                                f[#f + 1] = e.id
                                f[#f + 1] = rs_pack(r)
                                if e.rank < 1 and not r.active then
                                        gone[#gone + 1] = e.id
                                end
                                local tl = tiers[r.tier]
                                if e.rank >= 1 and tl then
                                        tl[#tl + 1] = e.rank_s
                                        tl[#tl + 1] = e.id
                                end
                        end
                end
        end
        chunked('HSET', rk, f)
        for T = 1, MAX_TIERS do
                chunked('ZADD', P .. ':tier:' .. T, tiers[T])
        end
        -- An active rep left unranked keeps its place after the ranking.
        chunked('ZREM', P .. ':unranked', gone)
        call('SET', P .. ':rankday', a[2])
        local all = call('HKEYS', rk)
        for i = 1, #all do
                local mk = P .. ':m:' .. all[i]
                local old = {}
                local fields = call('HKEYS', mk)
                for j = 1, #fields do
                        local fd = tonumber(match(fields[j], '^(%-?%d+):'))
                        if fd and fd < prune then
                                old[#old + 1] = fields[j]
                        end
                end
                chunked('HDEL', mk, old)
        end
        return '{"installed":true}'
end

-- lr_reps P: every rep as [rep_id, active, tier, handled, open, status],
-- status "" when never given.
local function lr_reps(keys, a)
        local all = call('HGETALL', keys[1] .. ':reps')
        local out = {}
        for i = 1, #all, 2 do
                local act, tier, handled, open, _, _, _, st = munpack(all[i + 1])
                out[#out + 1] = { all[i], act, tier, handled, open, st or '' }
        end
        return out
end

local function entry(fn)
        return function(keys, args)
                if not call then
                        call, floor, fmt = redis.call, math.floor, string.format
                        find, match = string.find, string.match
                        concat, jenc, jdec = table.concat, cjson.encode,
                                             cjson.decode
                        unpack_, mpack, munpack = unpack, cmsgpack.pack,
                                                  cmsgpack.unpack
                        tonumber, tostring = _G.tonumber, _G.tostring
                        min, huge = math.min, math.huge
                end
                return fn(keys, args)
        end
end

redis.register_function('lr_lead', entry(lr_lead))
redis.register_function('lr_outcome', entry(lr_outcome))
redis.register_function('lr_status', entry(lr_status))
redis.register_function('lr_rank_install', entry(lr_rank_install))
redis.register_function{ function_name = 'lr_reps', callback = entry(lr_reps),
                         flags = { 'no-writes' } }
