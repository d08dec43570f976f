#!lua name=leadrouter
--[[
store.lua - the only code leadrouter runs inside Redis: a tenant's write,
applied atomically and only by the tenant's owner. There is no routing here:
the worker decides (src/route/), this applies what it wrote down
(src/route/persist.h has the key layout).

KEYS[1] is the tenant prefix "<ns>:{<tenant>}" (one hash slot); its :meta
hash holds `epoch` (of the worker that claimed the tenant last) and
`version` (bumped by every write).

lr_claim P; epoch -> {"ok", version} once the tenant is claimed for epoch,
  {"fenced", epoch} when a newer epoch holds it.
lr_commit P; epoch expect_version new_version ops... -> {"ok", version},
  {"done", version} when this very write was applied already (a retry),
  {"fenced", epoch} when the tenant was claimed by another epoch since,
  {"conflict", version} when it was written since (a bug: never expected).
  ops: groups of op key n items (op H: HSET, Z: ZADD, items in pairs;
  HDEL, ZREM: single items; DEL: no item); key is a suffix of the prefix.
]]

local CHUNK = 1000 -- items per command (Lua's unpack has a stack limit)

local function lr_claim(keys, args)
        local meta = keys[1] .. ':meta'
        local epoch = tonumber(args[1])
        local v = redis.call('HMGET', meta, 'epoch', 'version')
        local held = tonumber(v[1])
        if not epoch then
                return redis.error_reply('lr_claim: bad epoch')
        end
        if held and held > epoch then
                return { 'fenced', v[1] }
        end
        redis.call('HSET', meta, 'epoch', args[1])
        return { 'ok', v[2] or '0' }
end

local function lr_commit(keys, args)
        local P = keys[1]
        local meta = P .. ':meta'
        local v = redis.call('HMGET', meta, 'epoch', 'version')
        local version = v[2] or '0'
        if v[1] ~= args[1] then
                return { 'fenced', v[1] or '' }
        end
        if version == args[3] then
                return { 'done', version }
        end
        if version ~= args[2] then
                return { 'conflict', version }
        end
        -- Checked whole before the first write: Redis does not roll a
        -- function back when it fails halfway.
        local groups, i, n = {}, 4, #args
        while i <= n do
                local op, cnt = args[i], tonumber(args[i + 2])
                local per = (op == 'H' or op == 'Z') and 2 or
                            op == 'DEL' and 0 or 1
                local cmd = op == 'H' and 'HSET' or op == 'Z' and 'ZADD' or op
                if not cnt or not args[i + 1] or
                    (cmd ~= 'HSET' and cmd ~= 'ZADD' and cmd ~= 'HDEL' and
                     cmd ~= 'ZREM' and cmd ~= 'DEL') then
                        return redis.error_reply('lr_commit: bad op ' ..
                                                 tostring(op))
                end
                local first = i + 3
                local last = first + cnt * per - 1
                if last > n then
                        return redis.error_reply('lr_commit: truncated ops')
                end
                groups[#groups + 1] = { cmd, P .. ':' .. args[i + 1], first,
                                        last, per }
                i = last + 1
        end
        for _, g in ipairs(groups) do
                if g[1] == 'DEL' then
                        redis.call('DEL', g[2])
                end
                local j = g[3]
                while j <= g[4] do
                        local k = math.min(g[4], j + CHUNK * g[5] - 1)
                        redis.call(g[1], g[2], unpack(args, j, k))
                        j = k + 1
                end
        end
        redis.call('HSET', meta, 'version', args[3])
        return { 'ok', args[3] }
end

redis.register_function('lr_claim', lr_claim)
redis.register_function('lr_commit', lr_commit)
