#!lua name=leadrouter
--[[
functions.lua - the Redis state of leadrouter and every change to it: the
routing method of SPEC §3 (ranked choice, baseline strategies, owner first,
region match, working hours, queue, timers).

Each input event is one FCALL: it is deduplicated by event_id, refuses to
run before the tenant has a ranking for the event's day (need_rank), applies
the event, drains the tenant's waiting leads and records the decisions it
made, all in one atomic step, so a pick and its mark can never be separated
and a redelivered event re-publishes what was decided the first time.
Decisions use event time only; nothing reads the clock.

Timers (contact_after, queue escalation after max_wait, first-touch SLA)
are one mechanism: a ZSET of due timers per tenant, fired in due order by
fire_due() with the due time as the event time of what they decide. Who
drives them is the caller's choice: lr_tick(now) fires what is due at
`now` (live: the worker's wall clock), or an event function fires what is
due at its own event time before applying the event (worker.clock: event,
replay and simulation). A timer fires once (removed in the same atomic
step). Its decisions have no input event to be re-published from, so they
also go to an outbox that the worker drains: lr_tick returns every outbox
entry whose lease has expired and leases it again; lr_ack removes what was
delivered. A worker that dies between the two leaves its entries to be
re-delivered, with the same event_id and rep, once the lease expires. The
tier changes of a ranking install go the same way, written by the install
itself: nothing decided can be lost between Redis and Kafka.

KEYS[1] is the tenant prefix P = "<ns>:{<tenant>}" (one hash slot per
tenant). Under it:
  :reps         HASH rep_id -> routing state of the rep, MessagePack values
                active tier handled open max_open tday tn st st_at until
                composite composite_text regions tz hours (max_open nil =
                policy default; tn: leads assigned on day tday, the
                rep's local day;
                st/st_at/until: presence; regions ",a,b,"; hours the
                compiled minute-of-week intervals {s1,e1,s2,e2..} in the
                rep's local time, see workhours.h); read it with lr_reps
  :rep:<rep>    HASH profile: name team regions tz hours hired_at
  :pres:<rep>   ZSET presence history "<at>|<status>|<until>|<event_id>"
  :m:<rep>      HASH metric counters "<day>:<counter>" (see rank.h)
  :order        ZSET the installed ranking, score = rank (1..n)
  :tier:<T>     ZSET the same, the reps of tier T only
  :unranked     ZSET (score 0) reps created since the ranking was installed
  :rankday      day of the installed ranking
  :lead:<lead>  HASH lead state; d<attempt> = the decision JSON; state
                held (contact_after) | queued | assigned | attributed;
                prev ",r1,r2," previous assignees; qt = queued since
  :queue        ZSET waiting leads, score lead_tier * 1e13 + queued since
  :e:<event_id> JSON array "<lead_id>#<attempt>" of the event's decisions
  :acct         HASH account_id -> rep of its latest lead (owner first)
  :cursor       HASH round robin cursors: "rr" (round_robin), "t:<region>"
                (territory) -> the rep_id last given a lead
  :wrr          HASH weighted round robin pass per rep; "" = virtual time
  :tz:<zone>    ZSET UTC offset changes of an IANA zone, "<t>|<offset s>"
                by t (from tzdb.c)
  :timers       ZSET "<kind>|<attempt>|<lead_id>" by due time; kind c =
                contact_after, q = queue escalation, s = first-touch SLA
  :outbox       ZSET "<lead_id>#<attempt>" timer decisions and
                "<rep_id>#t<day>" tier changes not yet acked, by lease
                expiry (wall-clock ms)
  :tc           HASH "<rep_id>#t<day>" -> RepTierChanged JSON, until acked
KEYS[2] = "<ns>:timers" ZSET tenant -> its earliest due timer, and KEYS[3]
= "<ns>:outbox" ZSET tenant -> its earliest outbox lease expiry: how the
worker finds the tenants to tick (not cluster-slot safe, by design: one
index per namespace).

Routing state is packed into one hash so that a decision reads the reps it
needs a chunk at a time and writes every rep it changed in one HSET;
MessagePack because Lua's number parsing and formatting (strtod/printf)
dominate the cost of a text format. Numbers going into keys and replies are
formatted with %d, never by concatenating a Lua number (that is %.14g).
Replies are JSON text: {"status":"applied"|"duplicate","decisions":[...]},
{"status":"need_rank","need_day":D} or {"status":"rejected","error":"..."};
"outbox":k when the first k decisions came from timers (to be acked).
Input is validated before the first write: Redis does not roll a function
back when it fails halfway.
]]

-- No global is reachable while the library loads (not even math or
-- redis.call), and a global read in a call goes through a metamethod:
-- entry() binds these once, at the first call.
local call, floor, fmt, find, match, gmatch, concat, jenc, jdec, unpack_,
      mpack, munpack, tonumber, tostring, type, min, huge, pairs, ipairs,
      sort

local MS_PER_DAY = 86400000
local MS_PER_MIN = 60000
local MIN_PER_WEEK = 10080
local HISTORY_KEEP = 32
local SKIPPED_MAX = 32
local DRAIN_MAX = 1000
local TICK_MAX = 5000 -- timers fired per call; the rest at the next one
local OUTBOX_MAX = 1000 -- outbox entries re-delivered per lr_tick
local MAX_TIERS = 9
local QUEUE_TIER_SCALE = 1e13
local CHUNK = 16 -- reps read per round trip while choosing

local PRESENCE = { AVAILABLE = true, BUSY = true, IN_MEETING = true,
                   OUT_OF_OFFICE = true, OFFLINE = true, DEPARTED = true }
-- Presence spells that end by themselves at `until`.
local SPELL = { BUSY = true, IN_MEETING = true, OUT_OF_OFFICE = true }
-- At work, though maybe not free: who a queue escalation may go to.
local AT_WORK = { AVAILABLE = true, BUSY = true, IN_MEETING = true }
local OUTCOME = { NO_ANSWER = true, CONNECTED = true, MEETING_BOOKED = true,
                  OPPORTUNITY_CREATED = true, CLOSED_WON = true,
                  CLOSED_LOST = true, DISQUALIFIED = true }
local CONVERTS = { OPPORTUNITY_CREATED = true, CLOSED_WON = true }
local TERMINAL = { CLOSED_WON = true, CLOSED_LOST = true, DISQUALIFIED = true }
local STRATEGY = { ranked = true, round_robin = true,
                   weighted_round_robin = true, least_loaded = true,
                   territory = true }
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

-- Sets index gk's score of tenant to the lowest score in zk (or removes it).
local function index_set(gk, tenant, zk)
        local f = call('ZRANGE', zk, 0, 0, 'WITHSCORES')
        if f[1] then
                call('ZADD', gk, f[2], tenant)
        else
                call('ZREM', gk, tenant)
        end
end

-- ---- rep routing state ----------------------------------------------------

local function rs_parse(s)
        local a, tier, handled, open, maxo, tday, tn, st, st_at, untl, comp,
              comp_s, rg, tz, wh = munpack(s)
        if not tn then
                error('corrupt rep state')
        end
        return { active = a == 1, tier = tier, handled = handled,
                 open = open, maxo = maxo, tday = tday, tn = tn, st = st,
                 st_at = st_at, untl = untl, comp = comp or 0,
                 comp_s = comp_s, rg = rg, tz = tz, wh = wh }
end

local function rs_pack(r)
        return mpack(r.active and 1 or 0, r.tier, r.handled, r.open, r.maxo,
                     r.tday, r.tn, r.st, r.st_at, r.untl, r.comp, r.comp_s,
                     r.rg, r.tz, r.wh)
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

-- Every rep of the tenant, by rep_id, parsed into cx.reps (baselines and
-- escalation look at all of them).
local function all_reps(cx)
        if cx.all then
                return cx.all
        end
        local h = call('HGETALL', cx.P .. ':reps')
        local ids, seen = {}, {}
        for i = 1, #h, 2 do
                rep_get(cx, h[i], h[i + 1])
                ids[#ids + 1] = h[i]
                seen[h[i]] = true
        end
        -- reps created by this call are not written yet
        for id in pairs(cx.reps) do
                if not seen[id] then
                        ids[#ids + 1] = id
                end
        end
        sort(ids)
        cx.all = ids
        return ids
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

local function flag(s)
        if s == '1' then
                return true
        elseif s == '0' then
                return false
        end
        return nil
end

local function nonneg(s)
        local v = is_int(s) and tonumber(s)
        return v and v >= 0 and v or nil
end

-- The policy block every function takes at a[i..i+13], validated: tiers
-- max_open_default strategy dedup_ttl_s owner_first region_match
-- max_wait_ms sla_ms sla_max_attempts tier_weights ("3,2,1")
-- fire_timers(0/1: fire timers due at the event time first) wall_ms
-- lease_ms (outbox bookkeeping only, never a decision) max_leads_per_day
-- (0 = no daily cap).
local function policy_args(a, i)
        local tiers, maxdef, ttl = tonumber(a[i]), tonumber(a[i + 1]),
                                   tonumber(a[i + 3])
        local p = { tiers = tiers, maxdef = maxdef, strategy = a[i + 2],
                    ttl = ttl and floor(ttl), owner_first = flag(a[i + 4]),
                    region_match = flag(a[i + 5]), max_wait = nonneg(a[i + 6]),
                    sla = nonneg(a[i + 7]), sla_max = nonneg(a[i + 8]),
                    weights = a[i + 9], fire = flag(a[i + 10]),
                    wall = nonneg(a[i + 11]), lease = nonneg(a[i + 12]),
                    daymax = nonneg(a[i + 13]) }
        if not tiers or tiers < 1 or tiers > MAX_TIERS or not maxdef or
            not ttl or ttl < 1 or not STRATEGY[p.strategy] or
            p.owner_first == nil or p.region_match == nil or
            not p.max_wait or not p.sla or not p.sla_max or not p.weights or
            p.fire == nil or not p.wall or not p.lease or not p.daymax then
                return nil
        end
        return p
end

local function cx_new(P, keys, tenant, t, pol, rankday)
        local cx = { P = P, GT = keys[2], GO = keys[3], tenant = tenant,
                     rankday = rankday, tiers = pol.tiers,
                     maxdef = pol.maxdef, daymax = pol.daymax,
                     strategy = pol.strategy,
                     ttl_s = fmt('%d', pol.ttl), pol = pol,
                     reps = {}, dirty = {}, out = {}, refs = {}, lists = {},
                     tout = {}, tcout = {}, trefs = {}, tzoff = {} }
        cx.t = t
        cx.day = day_of(t)
        cx.day_s, cx.t_s = fmt('%d', cx.day), fmt('%d', t)
        return cx
end

-- Moves the call's clock to t (a timer's due time): what was cached for
-- the old time (presence, working hours, zone offsets) is dropped.
local function cx_time(cx, t)
        if cx.t == t then
                return
        end
        cx.t = t
        cx.day = day_of(t)
        cx.day_s, cx.t_s = fmt('%d', cx.day), fmt('%d', t)
        for _, r in pairs(cx.reps) do
                r.pres = nil
        end
        cx.tzoff = {}
end

local fire_due -- below: timers need the routing functions

-- Steps 1-2 of every event: dedup and the ranking check, then (fire_timers)
-- the timers due by the event's time. Returns the call context, or nil and
-- the reply to give.
local function begin(P, keys, eid, tenant, t, pol)
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
        if not (keys[2] and keys[3]) then
                return nil, rejected('index keys missing')
        end
        local cx = cx_new(P, keys, tenant, t, pol, rankday)
        cx.ekey = ekey
        if pol.fire then
                fire_due(cx, t)
        end
        return cx
end

-- Writes the reps changed, the timer and outbox indexes and (for an event)
-- the dedup key, and answers.
local function finish(cx, status)
        local d, f = cx.dirty, {}
        for i = 1, #d do
                f[2 * i - 1] = d[i]
                f[2 * i] = rs_pack(cx.reps[d[i]])
        end
        if #f > 0 then
                chunked('HSET', cx.P .. ':reps', f)
        end
        if cx.fired then
                index_set(cx.GT, cx.tenant, cx.P .. ':timers')
        elseif cx.tmin then
                call('ZADD', cx.GT, 'LT', fmt('%d', cx.tmin), cx.tenant)
        end
        local tr = cx.trefs
        if #tr > 0 then
                local lease = fmt('%d', cx.pol.wall + cx.pol.lease)
                local z = {}
                for i = 1, #tr do
                        z[2 * i - 1] = lease
                        z[2 * i] = tr[i]
                end
                chunked('ZADD', cx.P .. ':outbox', z)
                call('ZADD', cx.GO, 'LT', lease, cx.tenant)
        end
        if cx.ekey then
                local refs, q = cx.refs, {}
                for i = 1, #refs do
                        q[i] = jstr(refs[i])
                end
                call('SET', cx.ekey, '[' .. concat(q, ',') .. ']', 'EX',
                     cx.ttl_s)
        end
        local head = '{"status":"' .. (status or 'applied') .. '"'
        if cx.need_day then
                head = head .. fmt(',"need_day":%d', cx.need_day)
        end
        if #cx.tout > 0 then
                head = head .. fmt(',"outbox":%d', #cx.tout)
        end
        local all = cx.tout
        if #all > 0 and #cx.out > 0 then
                all = {}
                for i = 1, #cx.tout do
                        all[i] = cx.tout[i]
                end
                for i = 1, #cx.out do
                        all[#all + 1] = cx.out[i]
                end
        elseif #all == 0 then
                all = cx.out
        end
        if #cx.tcout > 0 then
                head = head .. ',"tier_changes":[' .. concat(cx.tcout, ',') ..
                       ']'
        end
        return head .. ',"decisions":[' .. concat(all, ',') .. ']}'
end

-- ---- availability -------------------------------------------------------------

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

-- UTC offset (s) of zone tz at the call's event time.
local function tz_offset(cx, tz)
        local off = cx.tzoff[tz]
        if off == nil then
                local h = call('ZREVRANGEBYSCORE', cx.P .. ':tz:' .. tz,
                               cx.t_s, '-inf', 'LIMIT', 0, 1)[1]
                off = h and tonumber(match(h, '|(%-?%d+)$')) or 0
                cx.tzoff[tz] = off
        end
        return off
end

-- The day number of the call's event time in rep r's timezone (UTC when
-- it has none): "today" for the rep's daily counts.
local function rep_day(cx, r)
        if r.tz then
                return floor((cx.t + tz_offset(cx, r.tz) * 1000) / MS_PER_DAY)
        end
        return cx.day
end

-- Leads given to rep r on its current day.
local function assigned_today(cx, r)
        if r.tday == rep_day(cx, r) then
                return r.tn
        end
        return 0
end

-- Whether the call's event time is outside rep r's working hours (in its
-- timezone, UTC when it has none). A rep without hours is never off.
local function off_hours(cx, r)
        local wh = r.wh
        if not wh then
                return false
        end
        local off = r.tz and tz_offset(cx, r.tz) or 0
        -- Local minutes since the epoch; day 0 was a Thursday (Monday = 0).
        local mow = (floor((cx.t + off * 1000) / MS_PER_MIN) + 3 * 1440) %
                    MIN_PER_WEEK
        for i = 1, #wh, 2 do
                if mow < wh[i] then
                        return true
                end
                if mow < wh[i + 1] then
                        return false
                end
        end
        return true
end

-- Presence at the call's time, OFF_HOURS for an AVAILABLE rep outside its
-- hours. Cached per rep until the call's clock moves.
local function status_at(cx, id, r)
        local p = r.pres
        if not p then
                p = presence(cx, id, r)
                if p == 'AVAILABLE' and off_hours(cx, r) then
                        p = 'OFF_HOURS'
                end
                r.pres = p
        end
        return p
end

-- Why rep r cannot take a lead at the call's event time (presence symbol,
-- OFF_HOURS or AT_CAPACITY: open leads, or leads today in its timezone),
-- or nil when it can. Departed reps are not asked.
local function unavailable(cx, id, r)
        local p = status_at(cx, id, r)
        if p ~= 'AVAILABLE' then
                return p
        end
        if r.open >= (r.maxo or cx.maxdef) or
            (cx.daymax > 0 and assigned_today(cx, r) >= cx.daymax) then
                return 'AT_CAPACITY'
        end
        return nil
end

-- Whether rep r is at work (free or not) inside its hours: who a queue
-- escalation may go to.
local function at_work(cx, id, r)
        local p = status_at(cx, id, r)
        return AT_WORK[p] and (p == 'AVAILABLE' or not off_hours(cx, r))
end

local function in_region(r, region)
        return r.rg ~= nil and find(r.rg, ',' .. region .. ',', 1, true) ~= nil
end

-- The filter of a choice F: prev (set of previous assignees), region (the
-- lead's, when region match applies). Why rep id is not a candidate under
-- F at the call's time, or nil when it is one.
local function why_not(cx, F, id, r)
        if F.prev and F.prev[id] then
                return 'PREVIOUS_ASSIGNEE'
        end
        local w = unavailable(cx, id, r)
        if w then
                return w
        end
        if F.region and not in_region(r, F.region) then
                return 'REGION'
        end
        return nil
end

-- ---- rankings -------------------------------------------------------------

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

local function nranked(cx)
        if not cx.nranked then
                cx.nranked = call('ZCARD', cx.P .. ':order')
        end
        return cx.nranked
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
        return u.id[j], u.raw[j], nranked(cx) + j
end

-- The rank of one rep as ranking_at() gives it; 0 when it has none.
local function rank_of(cx, id)
        local s = call('ZSCORE', cx.P .. ':order', id)
        if s then
                return tonumber(s)
        end
        local u = call('ZRANK', cx.P .. ':unranked', id)
        if u then
                return nranked(cx) + u + 1
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

-- The best candidate of tier T under F: the highest composite; ties ->
-- fewer leads assigned today, then rep_id. Reads tier T's ranking in rank
-- order and stops once the best is settled. nil when T has no candidate.
local function tier_best(cx, T, F)
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
                        if r.active and not why_not(cx, F, id, r) and
                            (not b or beats(cx, r, id, comp, b)) then
                                b = { id = id, r = r, comp = comp,
                                      rank = rank }
                        end
                end
        end
        return b
end

-- The better-ranked reps passed over for pick, and why (at most
-- SKIPPED_MAX, in rank order), then the previous assignees ranked below
-- it (passed over by rule). In ranked mode a same-tier candidate ranked
-- before the pick only lost the tie-break and is not listed, one of
-- another tier is TIER; baselines do not route by rank or tier, so only
-- the reps that could not take the lead are listed.
local function skipped(cx, pick, F, baseline)
        local key = cx.P .. ':order'
        local sk, k, i, listed = {}, 0, 0, {}
        while k < SKIPPED_MAX and pick.rank > 1 do
                i = i + 1
                local id, raw, rank = ranking_at(cx, key, i)
                if not id or rank >= pick.rank then
                        break
                end
                local r = rep_get(cx, id, raw)
                if r and r.active then
                        local w = why_not(cx, F, id, r)
                        if not w and not baseline and r.tier ~= pick.r.tier then
                                w = 'TIER'
                        end
                        if w then
                                k = k + 1
                                sk[k] = '{"rep_id":' .. jstr(id) ..
                                    ',"why":"' .. w .. '"}'
                                listed[id] = true
                        end
                end
        end
        for _, id in ipairs(F.prev_list or {}) do
                if k < SKIPPED_MAX and not listed[id] and id ~= pick.id then
                        k = k + 1
                        sk[k] = '{"rep_id":' .. jstr(id) ..
                            ',"why":"PREVIOUS_ASSIGNEE"}'
                end
        end
        return sk
end

-- ---- strategies -------------------------------------------------------------

-- ranked: the best of the lead's tier, else of the nearest tier, the
-- better one first.
local function choose_ranked(cx, lt, F)
        local pick = tier_best(cx, lt, F)
        local d = 1
        while not pick and (lt - d >= 1 or lt + d <= cx.tiers) do
                pick = (lt - d >= 1 and tier_best(cx, lt - d, F)) or
                       (lt + d <= cx.tiers and tier_best(cx, lt + d, F)) or nil
                d = d + 1
        end
        if pick then
                pick.reason = pick.r.tier == lt and 'RANKED' or 'FALLBACK_TIER'
        end
        return pick
end

-- Every candidate under F, by rep_id.
local function candidates(cx, F)
        local c = {}
        for _, id in ipairs(all_reps(cx)) do
                local r = cx.reps[id]
                if r.active and not why_not(cx, F, id, r) then
                        c[#c + 1] = id
                end
        end
        return c
end

-- round robin over c (by rep_id) from the cursor `field`: the first after
-- the rep given the last lead, wrapping around.
local function round_robin(cx, c, field)
        local cur = call('HGET', cx.P .. ':cursor', field)
        local id = c[1]
        if cur then
                for i = 1, #c do
                        if c[i] > cur then
                                id = c[i]
                                break
                        end
                end
        end
        return id, function()
                call('HSET', cx.P .. ':cursor', field, id)
        end
end

-- Weight of tier T for weighted_round_robin: policy tier_weights, 1 when
-- not given.
local function tier_weight(cx, T)
        if not cx.tw then
                cx.tw = {}
                for w in gmatch(cx.pol.weights, '[^,]+') do
                        cx.tw[#cx.tw + 1] = tonumber(w)
                end
        end
        local w = cx.tw[T]
        return (w and w > 0) and w or 1
end

-- weighted_round_robin, by stride scheduling: each rep has a pass; the
-- candidate with the lowest pass gets the lead (ties: rep_id) and its pass
-- grows by 1/weight, so over time each gets leads in proportion to its
-- tier's weight. A pass below the virtual time (the pass of the last pick)
-- counts as the virtual time: a rep back from leave or new does not get a
-- burst of catch-up leads.
local function weighted(cx, c)
        local wk = cx.P .. ':wrr'
        local v = call('HMGET', wk, '', unpack_(c))
        local vt = tonumber(v[1]) or 0
        local id, best
        for i = 1, #c do
                local pass = tonumber(v[i + 1]) or vt
                if pass < vt then
                        pass = vt
                end
                if not best or pass < best then
                        id, best = c[i], pass
                end
        end
        return id, function()
                local w = tier_weight(cx, cx.reps[id].tier)
                call('HSET', wk, '', jnum(best), id, jnum(best + 1 / w))
        end
end

-- least_loaded: fewest open leads; ties -> fewer assigned today, rep_id.
local function least_loaded(cx, c)
        local id, br
        for i = 1, #c do
                local r = cx.reps[c[i]]
                if not br or r.open < br.open or
                    (r.open == br.open and
                     assigned_today(cx, r) < assigned_today(cx, br)) then
                        id, br = c[i], r
                end
        end
        return id
end

-- The baselines: the same candidates (presence, hours, capacity, previous
-- assignees, region match), then the strategy's own rule.
local function choose_baseline(cx, L, F)
        local s = cx.strategy
        local c, id, after
        if s == 'territory' then
                -- region match, then round robin inside the territory
                local field = 'rr'
                F.region = nil
                c = candidates(cx, F)
                if L.region then
                        local t = {}
                        for i = 1, #c do
                                if in_region(cx.reps[c[i]], L.region) then
                                        t[#t + 1] = c[i]
                                end
                        end
                        if #t > 0 then
                                c, field = t, 't:' .. L.region
                        end
                end
                if #c > 0 then
                        id, after = round_robin(cx, c, field)
                end
        else
                c = candidates(cx, F)
                if #c == 0 and F.region then
                        F.region = nil
                        c = candidates(cx, F)
                end
                if #c == 0 then
                        return nil
                elseif s == 'round_robin' then
                        id, after = round_robin(cx, c, 'rr')
                elseif s == 'weighted_round_robin' then
                        id, after = weighted(cx, c)
                else
                        id = least_loaded(cx, c)
                end
        end
        if not id then
                return nil
        end
        local r = cx.reps[id]
        return { id = id, r = r, comp = r.comp, rank = rank_of(cx, id),
                 reason = 'BASELINE', after = after }
end

-- The rep for lead L at the call's event time, or nil: its account's owner
-- (owner_first), else by the tenant's strategy, among the candidates whose
-- regions include the lead's (region_match; all candidates when none
-- does), never a previous assignee of the lead.
local function choose(cx, L)
        local pol = cx.pol
        local F = { prev = L.prev, prev_list = L.prev_list,
                    region = pol.region_match and L.region or nil }
        local pick
        if pol.owner_first and L.acct then
                local id = call('HGET', cx.P .. ':acct', L.acct)
                local r = id and rep_get(cx, id)
                if r and r.active and not why_not(cx, { prev = F.prev }, id, r)
                then
                        pick = { id = id, r = r, comp = r.comp,
                                 rank = rank_of(cx, id), reason = 'OWNER' }
                        pick.skipped = skipped(cx, pick, { prev = F.prev,
                                               prev_list = F.prev_list }, true)
                        return pick
                end
        end
        if cx.strategy == 'ranked' then
                pick = choose_ranked(cx, L.tier, F)
                if not pick and F.region then
                        F.region = nil
                        pick = choose_ranked(cx, L.tier, F)
                end
        else
                pick = choose_baseline(cx, L, F)
        end
        if pick then
                pick.skipped = skipped(cx, pick, F, cx.strategy ~= 'ranked')
        end
        return pick
end

-- ---- leads ------------------------------------------------------------------

-- Previous assignees "," .. "r1,r2," as a set and a list.
local function prev_parse(L, s)
        L.prev_s = s or ','
        if s and s ~= ',' then
                L.prev, L.prev_list = {}, {}
                for id in gmatch(s, '[^,]+') do
                        L.prev[id] = true
                        L.prev_list[#L.prev_list + 1] = id
                end
        end
end

local function lead_load(P, lead_id)
        local v = call('HMGET', P .. ':lead:' .. lead_id, 'tier', 'created_at',
                       'eid', 'st', 'sp', 'so', 'attempt', 'state', 'rep',
                       'touched', 'qt', 'rg', 'acct', 'prev')
        local L = { tier = tonumber(v[1]) or 0,
                    created_at = tonumber(v[2]) or 0, eid = v[3] or '',
                    st = v[4] or '', sp = is_int(v[5]) and v[5] or '0',
                    so = is_int(v[6]) and v[6] or '0',
                    attempt = tonumber(v[7]) or 0, state = v[8], rep = v[9],
                    touched = v[10] == '1', qt = tonumber(v[11]),
                    region = v[12], acct = v[13] }
        prev_parse(L, v[14])
        return L
end

-- The fields a lead is created with (first write of its hash).
local function lead_fields(L)
        local f = { 'created_at', L.created_s, 'tier', fmt('%d', L.tier),
                    'eid', L.eid, 'st', L.st, 'sp', L.sp, 'so', L.so,
                    'attempt', '0' }
        if L.region then
                f[#f + 1], f[#f + 2] = 'rg', L.region
        end
        if L.acct then
                f[#f + 1], f[#f + 2] = 'acct', L.acct
        end
        return f
end

local function timer_add(cx, kind, attempt, lead_id, due)
        call('ZADD', cx.P .. ':timers', fmt('%d', due),
             kind .. fmt('|%d|', attempt) .. lead_id)
        if not cx.tmin or due < cx.tmin then
                cx.tmin = due
        end
end

-- Gives the lead to pick.r: decision JSON, lead and rep state, cohort,
-- account owner, first-touch SLA timer.
local function assign(cx, lead_id, L, pick, reason)
        local P, t, day, r, id = cx.P, cx.t, cx.day, pick.r, pick.id
        local attempt = L.attempt + 1
        local wait = 0
        if L.queued then
                wait = t - (L.qt or L.created_at)
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
        local rday = rep_day(cx, r)
        if r.tday == rday then
                r.tn = r.tn + 1
        else
                r.tday, r.tn = rday, 1
        end
        rep_dirty(cx, id, r)
        if pick.after then
                pick.after()
        end
        local tier_s, att_s = fmt('%d', L.tier), fmt('%d', attempt)
        call('HINCRBY', P .. ':m:' .. id, cx.day_s .. ':n' .. tier_s, 1)
        local lk = P .. ':lead:' .. lead_id
        local f = L.new and lead_fields(L) or { 'touched', '0' }
        local n = #f
        f[n + 1], f[n + 2], f[n + 3], f[n + 4] = 'rep', id, 'at', cx.t_s
        f[n + 5], f[n + 6], f[n + 7], f[n + 8] = 't0', cx.t_s, 'day', cx.day_s
        f[n + 9], f[n + 10], f[n + 11], f[n + 12] = 'cls', tier_s, 'state',
                                                    'assigned'
        f[n + 13], f[n + 14], f[n + 15], f[n + 16] = 'attempt', att_s,
                                                     'd' .. att_s, d
        call('HSET', lk, unpack_(f))
        if L.acct then
                call('HSET', P .. ':acct', L.acct, id)
        end
        if cx.pol.sla > 0 then
                timer_add(cx, 's', attempt, lead_id, t + cx.pol.sla)
        end
        L.attempt, L.new, L.state, L.rep = attempt, nil, 'assigned', id
        local ref = lead_id .. fmt('#%d', attempt)
        if cx.ticking then
                cx.tout[#cx.tout + 1] = d
                cx.trefs[#cx.trefs + 1] = ref
        else
                cx.out[#cx.out + 1] = d
                cx.refs[#cx.refs + 1] = ref
        end
end

-- Puts the lead in the tenant's queue from time qt (better lead tier
-- first, then oldest), with its escalation timer.
local function enqueue(cx, lead_id, L, qt)
        local f = L.new and lead_fields(L) or {}
        local n = #f
        f[n + 1], f[n + 2], f[n + 3], f[n + 4] = 'state', 'queued', 'qt',
                                                 fmt('%d', qt)
        call('HSET', cx.P .. ':lead:' .. lead_id, unpack_(f))
        call('ZADD', cx.P .. ':queue', fmt('%d', L.tier * QUEUE_TIER_SCALE + qt),
             lead_id)
        if cx.pol.max_wait > 0 then
                timer_add(cx, 'q', L.attempt, lead_id, qt + cx.pol.max_wait)
        end
        L.new, L.state, L.qt = nil, 'queued', qt
end

-- Assigns waiting leads, best first, while a rep can take them. A lead
-- that only its previous assignees could take is passed by; any other
-- lead that finds nobody means nobody is free. Returns true in that case
-- (blocked: a new lead must wait behind the queue).
local function drain(cx)
        local qk = cx.P .. ':queue'
        local i = 0
        for _ = 1, DRAIN_MAX do
                local lead_id = call('ZRANGE', qk, i, i)[1]
                if not lead_id then
                        return false
                end
                local L = lead_load(cx.P, lead_id)
                local pick = choose(cx, L)
                if pick then
                        call('ZREM', qk, lead_id)
                        L.queued = true
                        assign(cx, lead_id, L, pick,
                               L.attempt > 0 and 'SLA_REASSIGNED' or 'QUEUED')
                elseif L.prev then
                        i = i + 1
                else
                        return true
                end
        end
        return true
end

-- A new lead (or one whose contact_after came): to a rep now, else queued.
local function route(cx, lead_id, L)
        local pick = not drain(cx) and choose(cx, L)
        if pick then
                assign(cx, lead_id, L, pick, pick.reason)
        else
                enqueue(cx, lead_id, L, cx.t)
        end
end

-- ---- timers -------------------------------------------------------------------

-- max_wait passed for a queued lead: to the least-loaded active rep at
-- work inside its hours, free or not (in the lead's region first under
-- region match; never a previous assignee). Nobody at work: it keeps
-- waiting and goes to the first rep who frees up.
local function escalate(cx, lead_id, L)
        local best, br, inreg
        local region = cx.pol.region_match and L.region or nil
        for _, id in ipairs(all_reps(cx)) do
                local r = cx.reps[id]
                if r.active and not (L.prev and L.prev[id]) and
                    at_work(cx, id, r) then
                        local ir = region ~= nil and in_region(r, region)
                        if not br or (ir and not inreg) or
                            (ir == inreg and
                             (r.open < br.open or
                              (r.open == br.open and assigned_today(cx, r) <
                               assigned_today(cx, br)))) then
                                best, br, inreg = id, r, ir
                        end
                end
        end
        if not best then
                return
        end
        local pick = { id = best, r = br, comp = br.comp,
                       rank = rank_of(cx, best) }
        pick.skipped = skipped(cx, pick, { prev = L.prev,
                                           prev_list = L.prev_list }, true)
        call('ZREM', cx.P .. ':queue', lead_id)
        L.queued = true
        assign(cx, lead_id, L, pick, 'ESCALATED')
end

-- No call from the rep within the first-touch SLA: the miss counts against
-- the rep's speed to lead (a sample of the SLA's length), and the lead goes
-- to the next best rep who never had it (attempt + 1), or waits in the
-- queue for one. After sla_max_attempts assignments (0 = no limit) it
-- stays with its rep.
local function sla_missed(cx, lead_id, L)
        local P, old = cx.P, L.rep
        local mk = P .. ':m:' .. old
        local lk = P .. ':lead:' .. lead_id
        call('HINCRBYFLOAT', mk, cx.day_s .. ':sts', jnum(cx.pol.sla / MS_PER_MIN))
        call('HINCRBY', mk, cx.day_s .. ':stn', 1)
        if cx.pol.sla_max > 0 and L.attempt >= cx.pol.sla_max then
                -- its first touch is counted now, not again at the call
                call('HSET', lk, 'touched', '1')
                return
        end
        local r = rep_get(cx, old)
        if r then
                open_dec(cx, old, r)
        end
        L.prev_s = L.prev_s .. old .. ','
        prev_parse(L, L.prev_s)
        call('HSET', lk, 'prev', L.prev_s)
        local pick = choose(cx, L)
        if pick then
                assign(cx, lead_id, L, pick, 'SLA_REASSIGNED')
        else
                call('HDEL', lk, 'rep')
                L.queued = true
                enqueue(cx, lead_id, L, cx.t)
        end
end

-- One due timer, at its due time (cx.t). A timer whose lead has moved on
-- (called, assigned, attributed, a newer attempt) does nothing: timers are
-- not cancelled, they check when they fire.
local function fire(cx, kind, attempt, lead_id)
        local L = lead_load(cx.P, lead_id)
        if kind == 'c' then
                if L.state == 'held' then
                        route(cx, lead_id, L)
                end
        elseif kind == 'q' then
                if L.state == 'queued' and L.attempt == attempt then
                        escalate(cx, lead_id, L)
                end
        elseif kind == 's' then
                if L.state == 'assigned' and L.attempt == attempt and
                    not L.touched and L.rep then
                        sla_missed(cx, lead_id, L)
                end
        end
end

-- Fires every timer due at or before upto, in due order, each at its due
-- time; stops at one due on a day without a ranking yet (cx.need_day).
fire_due = function(cx, upto)
        local tk = cx.P .. ':timers'
        local t0, n = cx.t, 0
        local upto_s = fmt('%d', upto)
        cx.ticking = true
        while n < TICK_MAX do
                local z = call('ZRANGEBYSCORE', tk, '-inf', upto_s,
                               'WITHSCORES', 'LIMIT', 0, 64)
                if #z == 0 then
                        break
                end
                for j = 1, #z, 2 do
                        local m, due = z[j], tonumber(z[j + 1])
                        if not cx.rankday or day_of(due) > cx.rankday then
                                cx.need_day = day_of(due)
                                n = TICK_MAX
                                break
                        end
                        call('ZREM', tk, m)
                        cx.fired = true
                        n = n + 1
                        local kind, att, lead_id = match(m, '^(%a)|(%d+)|(.*)$')
                        if kind then
                                cx_time(cx, due)
                                fire(cx, kind, tonumber(att), lead_id)
                        end
                end
        end
        cx.ticking = false
        cx_time(cx, t0)
end

-- ---- the functions ------------------------------------------------------------

-- lr_outcome P GT GO; event_id tenant rep_id lead_id occurred_at outcome
-- duration_seconds deal_value_cents|"" | policy block
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
        local cx, reply = begin(P, keys, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local r = rep_ensure(cx, rep)
        local lk = P .. ':lead:' .. lead_id
        local mk = P .. ':m:' .. rep
        local day = cx.day_s
        local v = call('HMGET', lk, 'state', 'rep', 'cls', 'day', 'at', 't0',
                       'touched', 'conv', 'closed', 'tier', 'acct')
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
                        if v[11] then
                                call('HSET', P .. ':acct', v[11], rep)
                        end
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


-- An imported assignment (a LeadCreated whose attributes carry
-- assigned_rep_id and assigned_at, as a CRM import or `leadrouter
-- generate` writes it): the lead is attributed to rep `rep` at time `at`,
-- exactly as the first outcome of a rep on a lead it was never given
-- attributes it (lr_outcome), except that the assignment time is known:
--   * no routing decision, nothing published, no SLA timer, the queue is
--     not drained (capacity only shrinks);
--   * the rep is created like any rep first seen (bottom tier), and its
--     open and handled counts grow by one;
--   * the lead's cohort is the day of `at` (":n<lead tier>" counted on that
--     day), and its assignment time `at` is what the rep's first call on
--     it is measured from: that call adds a speed-to-lead sample
--     (first call - at) on the call's day, and the sales cycle runs from
--     `at`;
--   * the account, if any, is the rep's (owner first).
-- A lead seen before (by an earlier LeadCreated or an outcome) is a
-- duplicate, as for any LeadCreated: load imported assignments before the
-- outcomes of their leads (ops/load_events.py does, day by day).
local function import_assignment(cx, lead_id, L, rep, at)
        local r = rep_ensure(cx, rep)
        local day_s, at_s = fmt('%d', day_of(at)), fmt('%d', at)
        local tier_s = fmt('%d', L.tier)
        local f = lead_fields(L)
        local n = #f
        f[n + 1], f[n + 2], f[n + 3], f[n + 4] = 'rep', rep, 'at', at_s
        f[n + 5], f[n + 6], f[n + 7], f[n + 8] = 't0', at_s, 'day', day_s
        f[n + 9], f[n + 10], f[n + 11], f[n + 12] = 'cls', tier_s, 'conv', '0'
        f[n + 13], f[n + 14], f[n + 15], f[n + 16] = 'state', 'attributed',
                                                     'touched', '0'
        call('HSET', cx.P .. ':lead:' .. lead_id, unpack_(f))
        call('HINCRBY', cx.P .. ':m:' .. rep, day_s .. ':n' .. tier_s, 1)
        if L.acct then
                call('HSET', cx.P .. ':acct', L.acct, rep)
        end
        r.open = r.open + 1
        r.handled = r.handled + 1
        rep_dirty(cx, rep, r)
end

-- lr_lead P GT GO; event_id tenant lead_id created_at lead_tier src_topic
-- src_partition src_offset account_id region contact_after
-- assigned_rep_id assigned_at (each "" when absent; the last two: an
-- imported assignment, see import_assignment) | policy block
local function lr_lead(keys, a)
        local P = keys[1]
        local eid, tenant, lead_id = a[1], a[2], a[3]
        local t, lt = tonumber(a[4]), tonumber(a[5])
        local pol = policy_args(a, 14)
        if not (P and eid and tenant and lead_id and t and pol and a[6] and
                a[9] and a[10] and a[11] and a[12] and a[13]) then
                return rejected('lr_lead: bad arguments')
        end
        if not lt or lt < 1 or lt > MAX_TIERS or lt ~= floor(lt) then
                return rejected('lead tier out of range: ' .. tostring(a[5]))
        end
        if not is_int(a[7]) or not is_int(a[8]) then
                return rejected('lr_lead: bad source partition/offset')
        end
        if a[11] ~= '' and not is_int(a[11]) then
                return rejected('bad contact_after: ' .. a[11])
        end
        if (a[12] == '') ~= (a[13] == '') or
            (a[13] ~= '' and not is_int(a[13])) then
                return rejected('bad imported assignment: ' .. a[12] .. ' ' ..
                                a[13])
        end
        local cx, reply = begin(P, keys, eid, tenant, t, pol)
        if not cx then
                return reply
        end
        local lk = P .. ':lead:' .. lead_id
        local v = call('HMGET', lk, 'state', 'd1')
        if v[1] then
                -- another event for a lead already seen: what was decided
                -- for it (no dedup record, as before the timers)
                cx.ekey = nil
                cx.out[1] = v[2]
                return finish(cx, 'duplicate')
        end
        local L = { tier = lt, created_at = t, created_s = a[4], eid = eid,
                    st = a[6], sp = a[7], so = a[8], attempt = 0, new = true,
                    acct = a[9] ~= '' and a[9] or nil,
                    region = a[10] ~= '' and a[10] or nil, prev_s = ',' }
        local ca = tonumber(a[11])
        if a[12] ~= '' then
                import_assignment(cx, lead_id, L, a[12], tonumber(a[13]))
        elseif ca and ca > t then
                -- not before contact_after: held until its timer fires
                local f = lead_fields(L)
                f[#f + 1], f[#f + 2] = 'state', 'held'
                call('HSET', lk, unpack_(f))
                timer_add(cx, 'c', 0, lead_id, ca)
        else
                route(cx, lead_id, L)
        end
        return finish(cx)
end

-- Compiled working hours "s-e,s-e" (workhours.h) as {s1,e1,...}; false for
-- "*" (always); nil when malformed.
local function hours_parse(s)
        if s == '*' then
                return false
        end
        local wh, last = {}, 0
        for x, y in gmatch(s, '(%d+)%-(%d+)') do
                x, y = tonumber(x), tonumber(y)
                if x < last or y <= x or y > MIN_PER_WEEK then
                        return nil
                end
                wh[#wh + 1], wh[#wh + 2], last = x, y, y
        end
        if #wh == 0 or find(s, '[^%d%-,]') then
                return nil
        end
        return wh
end

-- A zone's offset table "-inf|o,t1|o1,..." (tzdb.h) as ZADD arguments.
local function tz_parse(s)
        local z = {}
        for tt, o in gmatch(s, '([^,|]+)|([^,]+)') do
                if not (tt == '-inf' or is_int(tt)) or not is_int(o) then
                        return nil
                end
                z[#z + 1], z[#z + 2] = tt, tt .. '|' .. o
        end
        return #z > 0 and z or nil
end

-- lr_status P GT GO; event_id tenant rep_id occurred_at status until
-- display_name team regions_json timezone working_hours hired_at
-- max_open_leads compiled_hours zone_table (each "" when absent) | policy
-- block. compiled_hours and zone_table come from the C side (workhours.c,
-- tzdb.c), which has the time zone database Lua lacks.
local function lr_status(keys, a)
        local P = keys[1]
        local eid, tenant, rep = a[1], a[2], a[3]
        local t, status, untl, maxo = tonumber(a[4]), a[5], a[6], a[13]
        local pol = policy_args(a, 16)
        if not (P and eid and tenant and rep and t and untl and maxo and
                a[14] and a[15] and pol) then
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
        local wh, zone, rg
        if a[14] ~= '' then
                wh = hours_parse(a[14])
                if wh == nil then
                        return rejected('bad compiled working hours: ' .. a[14])
                end
        end
        if a[15] ~= '' then
                zone = tz_parse(a[15])
                if not zone or a[10] == '' then
                        return rejected('bad zone table for ' .. a[10])
                end
        end
        if a[9] ~= '' then
                local list = jdec(a[9])
                if type(list) ~= 'table' then
                        return rejected('bad regions: ' .. a[9])
                end
                rg = #list > 0 and (',' .. concat(list, ',') .. ',') or false
        end
        local cx, reply = begin(P, keys, eid, tenant, t, pol)
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
        if rg ~= nil then
                r.rg = rg or nil
                rep_dirty(cx, rep, r)
        end
        if wh ~= nil then
                r.wh = wh or nil
                rep_dirty(cx, rep, r)
        end
        if a[10] ~= '' then
                r.tz = a[10]
                rep_dirty(cx, rep, r)
        end
        if zone then
                local zk = P .. ':tz:' .. a[10]
                if call('ZCARD', zk) ~= #zone / 2 then
                        call('DEL', zk)
                        chunked('ZADD', zk, zone)
                end
        end
        r.pres = nil
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

-- lr_tick P GT GO; tenant now|"" | policy block: fires the tenant's timers
-- due at or before `now` ("" = none: only the outbox), then answers with
-- every outbox entry whose lease has expired (decisions, all of them
-- "outbox", and "tier_changes", all to be acked), each leased again until
-- wall_ms + lease_ms. need_rank (with the
-- decisions fired before it) when a due timer is on a day without a
-- ranking yet.
local function lr_tick(keys, a)
        local P, tenant = keys[1], a[1]
        local pol = policy_args(a, 3)
        if not (P and keys[2] and keys[3] and tenant and pol and
                (a[2] == '' or is_int(a[2]))) then
                return rejected('lr_tick: bad arguments')
        end
        local now = tonumber(a[2])
        local cx = cx_new(P, keys, tenant, now or 0, pol,
                          tonumber(call('GET', P .. ':rankday')))
        local ob = call('ZRANGEBYSCORE', P .. ':outbox', '-inf',
                        fmt('%d', pol.wall), 'LIMIT', 0, OUTBOX_MAX)
        for i = 1, #ob do
                local lead, attempt = match(ob[i], '^(.*)#(%d+)$')
                local d, list
                if lead then
                        d = call('HGET', P .. ':lead:' .. lead, 'd' .. attempt)
                        list = cx.tout
                else
                        d = call('HGET', P .. ':tc', ob[i])
                        list = cx.tcout
                end
                if d then
                        list[#list + 1] = d
                        cx.trefs[#cx.trefs + 1] = ob[i]
                else
                        call('ZREM', P .. ':outbox', ob[i])
                end
        end
        if now then
                fire_due(cx, now)
                cx.fired = true -- the index is recomputed either way
        end
        local reply = finish(cx, cx.need_day and 'need_rank' or 'applied')
        index_set(cx.GO, tenant, P .. ':outbox')
        return reply
end

-- lr_ack P GO; tenant ref... : the outbox entries ("<lead_id>#<attempt>",
-- "<rep_id>#t<day>") delivered.
local function lr_ack(keys, a)
        local P, GO, tenant = keys[1], keys[2], a[1]
        if not (P and GO and tenant and #a >= 2) then
                return rejected('lr_ack: bad arguments')
        end
        for i = 2, #a, 1000 do
                local j = min(i + 999, #a)
                call('ZREM', P .. ':outbox', unpack_(a, i, j))
                call('HDEL', P .. ':tc', unpack_(a, i, j))
        end
        index_set(GO, tenant, P .. ':outbox')
        return '{"status":"applied"}'
end

-- lr_rank_install P GO; tenant day evaluate(0/1) prune_before_day
-- lease_expiry n, then n tier changes (ref, RepTierChanged JSON), then per
-- rep: rep_id composite rank new_tier. Installs only a newer day; its tier
-- changes go to the outbox, leased until lease_expiry (wall-clock ms).
local function lr_rank_install(keys, a)
        local P, GO, tenant = keys[1], keys[2], a[1]
        local day, prune, ntc = tonumber(a[2]), tonumber(a[4]), tonumber(a[6])
        local evaluate = a[3] == '1'
        if not P or not GO or not day or not prune or not ntc or
            not is_int(a[5]) or (#a - 6 - 2 * ntc) % 4 ~= 0 then
                return rejected('lr_rank_install: bad arguments')
        end
        local first = 7 + 2 * ntc
        local reps, ids, order, ranked = {}, {}, {}, {}
        for i = first, #a, 4 do
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
        if ntc > 0 then
                local h, z = {}, {}
                for i = 7, first - 1, 2 do
                        h[i - 6], h[i - 5] = a[i], a[i + 1]
                        z[i - 6], z[i - 5] = a[5], a[i]
                end
                chunked('HSET', P .. ':tc', h)
                chunked('ZADD', P .. ':outbox', z)
                call('ZADD', GO, 'LT', a[5], tenant)
        end
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
                        find, match, gmatch = string.find, string.match,
                                              string.gmatch
                        concat, jenc, jdec = table.concat, cjson.encode,
                                             cjson.decode
                        unpack_, mpack, munpack = unpack, cmsgpack.pack,
                                                  cmsgpack.unpack
                        tonumber, tostring, type = _G.tonumber, _G.tostring,
                                                   _G.type
                        min, huge = math.min, math.huge
                        pairs, ipairs, sort = _G.pairs, _G.ipairs, table.sort
                end
                return fn(keys, args)
        end
end

redis.register_function('lr_lead', entry(lr_lead))
redis.register_function('lr_outcome', entry(lr_outcome))
redis.register_function('lr_status', entry(lr_status))
redis.register_function('lr_tick', entry(lr_tick))
redis.register_function('lr_ack', entry(lr_ack))
redis.register_function('lr_rank_install', entry(lr_rank_install))
redis.register_function{ function_name = 'lr_reps', callback = entry(lr_reps),
                         flags = { 'no-writes' } }
