--[[
  agentbus_trim_v2: one bounded step of a lane's retention. The caller (redis-trim.ts) repeats the
  call while it answers more = 1; the loop is never in Lua, so Redis serves other clients between
  steps.

  Never loads a range of entries. What one call reads: XINFO STREAM (its first and last entry),
  XINFO GROUPS, one XPENDING summary and at most one XRANGE ... COUNT 1 per group, the head id
  (XRANGE - + COUNT 1) around a hard-cap step, and the ids of the hard cap's step (XPENDING ranges
  of at most ARGV[5] ids over all groups; or, when Redis cannot count, a walk of at most ARGV[6] ids
  one XRANGE ... COUNT 1 at a time). What one call removes: at most ARGV[4] entries for the policy
  (XTRIM ... ~ LIMIT, plus the rest of one node when it stops at the node holding the trim point)
  and at most ARGV[5] for the hard cap. Neither grows with the backlog.

  KEYS[1]  the stream (a lane)
  KEYS[2]  the dropped-unacked counter (INCRBY)
  KEYS[3]  the stream's trim checkpoints (sorted set); all three keys in one hash tag

  ARGV[1]  age point: MINID "ms-seq" (now - maxAgeMs), or "" for none
  ARGV[2]  maxLen, 0 for none
  ARGV[3]  hardMaxLen, 0 for none
  ARGV[4]  most entries the policy removes per call (XTRIM LIMIT)
  ARGV[5]  most pending ids the hard cap reads per call, over all groups (so at most this many
           entries dropped per call)
  ARGV[6]  most ids the hard cap walks per call when it cannot count (no lag, or an XDEL)
  ARGV[7]  a node holding more entries than this is not expected (stream-node-max-entries, 100 by
           default): a policy XTRIM that removed fewer than ARGV[4] - ARGV[7] stopped at the node
           holding its point, not at its limit, and is finished exactly

  Unacked: an entry some group has pending, or has not been delivered yet. The bound B is the
  oldest unacked entry: min over groups of the oldest pending id and the first id after
  last-delivered-id. The policy never removes B or anything after it; the hard cap does, and
  counts what it drops unacked into KEYS[2].

  maxAgeMs: XTRIM MINID min(ARGV[1], B): always safe.
  maxLen, with len entries and c = count(entries >= B):
    c <= maxLen  => XTRIM MAXLEN maxLen is safe (everything it removes is older than B)
    c >= maxLen  => XTRIM MINID B keeps at least maxLen entries (the policy's own promise)
    otherwise (c only bounded, and the bounds straddle maxLen): XTRIM MINID X for a checkpoint X
    <= B whose exact count(entries >= X) is >= maxLen, else nothing (age only).
  What c is known from: B = none: 0. B <= the first entry: len. B is some group's first
  undelivered id: that group's lag (Redis >= 7, when not nil). Lower bound, when no entry >= B was
  ever XDEL'd: max over groups of pending + lag. Upper bound: a checkpoint X <= B, recorded as
  (last-generated-id, entries-added) by an earlier call: count(entries >= X) <= entries-added -
  counter(X) + 1, exact when no entry >= X was XDEL'd. Where a bound is missing (Redis 6.2 has no
  lag or entries-added) the case is undecided and maxLen waits. Checkpoints older than the first
  entry are ignored, so those of a deleted and re-created stream (older ids) never count.

  Returns { trimmed, droppedUnacked, examined, more, rule }
    trimmed         entries removed by this call
    droppedUnacked  of those, unacked (hard cap only)
    examined        entries and ids this call read (XRANGE, XPENDING ranges, XINFO STREAM's two)
    more            1 when a limit stopped this call: call again
    rule            how maxLen was applied: 0 not needed, 1 MAXLEN, 2 MINID B, 3 MINID checkpoint,
                    4 undecided (age only)
]]
local stream, droppedKey, cpKey = KEYS[1], KEYS[2], KEYS[3]
local minId = ARGV[1]
local maxLen = tonumber(ARGV[2])
local hard = tonumber(ARGV[3])
local policyLimit = tonumber(ARGV[4])
local hardIds = tonumber(ARGV[5])
local walkIds = tonumber(ARGV[6])
local nodeMax = tonumber(ARGV[7])

-- Checkpoints: the newest 32, at least 1 s apart (so they reach back further than the last few
-- calls), dropped with the stream or after a day without a trim.
local CP_MAX = 32
local CP_SPACING_MS = 1000
local CP_TTL_MS = 86400000

if redis.call('EXISTS', stream) == 0 then
  -- Checkpoints describe one incarnation of a stream; a new stream must not inherit them.
  redis.call('DEL', cpKey)
  return { 0, 0, 0, 0, 0 }
end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end

local function msOf(id)
  return string.match(id, '^(%d+)')
end

local function fields(flat)
  local r = {}
  for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
  return r
end

-- A nil reply arrives as false; Redis 6.2 lacks some fields entirely.
local function num(v)
  if v == nil or v == false then return nil end
  return tonumber(v)
end

local info = fields(redis.call('XINFO', 'STREAM', stream))
local len = tonumber(info['length'])
if len == 0 then return { 0, 0, 0, 0, 0 } end
local first = info['first-entry'][1]
local examined = 2
local added = num(info['entries-added'])
local lastGen = info['last-generated-id']
local maxDeleted = info['max-deleted-entry-id']

-- Counts from `id` on are exact only if no entry at or after it was ever XDEL'd.
local function intactFrom(id)
  if maxDeleted == nil or maxDeleted == false then return false end
  return maxDeleted == '0-0' or less(maxDeleted, id)
end

local groups = {}
local bound = nil
for _, raw in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local g = fields(raw)
  local group = { name = g['name'], last = g['last-delivered-id'], pending = tonumber(g['pending']), lag = num(g['lag']) }
  if group.pending > 0 then
    group.oldest = redis.call('XPENDING', stream, group.name)[2]
    if bound == nil or less(group.oldest, bound) then bound = group.oldest end
  end
  if group.lag ~= 0 then
    if less(group.last, first) then
      group.next = first
    else
      local after = redis.call('XRANGE', stream, '(' .. group.last, '+', 'COUNT', 1)
      examined = examined + #after
      if #after > 0 then group.next = after[1][1] end
    end
    if group.next ~= nil and (bound == nil or less(group.next, bound)) then bound = group.next end
  end
  groups[#groups + 1] = group
end

-- The newest checkpoint X with first <= X <= id, as { id, counter }.
local function checkpointAtOrBefore(id)
  local rows = redis.call('ZREVRANGEBYSCORE', cpKey, msOf(id), '-inf', 'LIMIT', 0, 8)
  for _, member in ipairs(rows) do
    local counter, cpId = string.match(member, '^(%d+)|(%d+%-%d+)$')
    counter = tonumber(counter)
    if cpId ~= nil and counter <= added and not less(id, cpId) and not less(cpId, first) then
      return { id = cpId, counter = counter }
    end
  end
  return nil
end

-- Bounds on c = count(entries >= bound).
local cLo, cHi, cp = 0, len, nil
if bound == nil then
  cHi = 0
elseif not less(first, bound) then
  cLo = len
else
  -- bound > first: no group lost undelivered entries to a trim, so a lag counts entries present.
  for _, g in ipairs(groups) do
    if g.next == bound and g.lag ~= nil then cLo, cHi = g.lag, g.lag end
  end
  if cLo < cHi and intactFrom(bound) then
    for _, g in ipairs(groups) do
      if g.lag ~= nil then cLo = math.max(cLo, math.min(len, g.pending + g.lag)) end
    end
  end
  if cLo < cHi and added ~= nil then
    cp = checkpointAtOrBefore(bound)
    -- A checkpoint contradicting what the groups prove belongs to an older stream: ignore it.
    if cp ~= nil and added - cp.counter + 1 < cLo then cp = nil end
    if cp ~= nil then cHi = math.min(cHi, added - cp.counter + 1) end
  end
end

local trimmed, more, rule, budget = 0, 0, 0, policyLimit

-- Trims to `point`; `upper` bounds how many entries that removes.
local function trimTo(strategy, point, upper)
  if upper <= 0 then return end
  if budget <= 0 then
    more = 1
    return
  end
  local n
  if upper <= budget then
    n = redis.call('XTRIM', stream, strategy, '=', point)
  else
    n = redis.call('XTRIM', stream, strategy, '~', point, 'LIMIT', budget)
    if n + nodeMax <= budget then
      n = n + redis.call('XTRIM', stream, strategy, '=', point)
    else
      more = 1
    end
  end
  trimmed = trimmed + n
  budget = budget - n
end

if maxLen > 0 and len > maxLen then
  if cHi <= maxLen then
    rule = 1
    trimTo('MAXLEN', maxLen, len - maxLen)
  elseif cLo >= maxLen then
    rule = 2
    trimTo('MINID', bound, len - cLo)
  elseif cp ~= nil and intactFrom(cp.id) then
    rule = 3
    trimTo('MINID', cp.id, len - (added - cp.counter + 1))
  else
    rule = 4
  end
end

if minId ~= '' then
  local point, upper = minId, len
  if bound ~= nil then
    if less(bound, point) then point = bound end
    upper = len - cLo
  end
  trimTo('MINID', point, upper)
end

-- The ids of the pending entries of all groups in [from, to], counted once.
local function pendingIn(from, to, count)
  local seen, total = {}, 0
  for _, g in ipairs(groups) do
    if g.pending > 0 then
      local rows = redis.call('XPENDING', stream, g.name, from, to, count)
      examined = examined + #rows
      for _, r in ipairs(rows) do
        if not seen[r[1]] then
          seen[r[1]] = true
          total = total + 1
        end
      end
    end
  end
  return total
end

local function headId()
  examined = examined + 1
  return redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
end

-- Drops `step` entries from the head and counts the unacked ones from lag and pending ids: an
-- entry after the slowest group's last-delivered id is undelivered, one before is unacked only if
-- pending somewhere. Needs `slowest.lag` exact and no XDEL from `head` on.
local function capByCounts(step, slowest, length, head)
  local n = redis.call('XTRIM', stream, 'MAXLEN', '=', length - step)
  local newHead = headId()
  local undelivered, upTo = 0, '(' .. newHead
  if less(slowest.last, newHead) then
    -- Before the cut, lag counted every entry after last-delivered; those left all follow newHead.
    undelivered = math.max(0, math.min(n, slowest.lag - (length - n)))
    upTo = slowest.last
  end
  return n, undelivered + pendingIn(head, upTo, n)
end

-- Drops `step` entries from the head, looking at each: for when lag is unknown or entries were XDEL'd.
local function capByWalk(step, slowest, length, head)
  local ids = { head }
  while #ids < step do
    local after = redis.call('XRANGE', stream, '(' .. ids[#ids], '+', 'COUNT', 1)
    if #after == 0 then break end
    ids[#ids + 1] = after[1][1]
  end
  examined = examined + #ids - 1
  local unacked = 0
  for _, id in ipairs(ids) do
    local open = less(slowest.last, id)
    for _, g in ipairs(groups) do
      if open then break end
      if g.pending > 0 then
        examined = examined + 1
        open = #redis.call('XPENDING', stream, g.name, id, id, 1) > 0
      end
    end
    if open then unacked = unacked + 1 end
  end
  return redis.call('XTRIM', stream, 'MAXLEN', '=', length - #ids), unacked
end

local function capStep(length, head)
  local step = math.min(length - hard, math.max(1, math.floor(hardIds / math.max(1, #groups))))
  if #groups == 0 then
    return redis.call('XTRIM', stream, 'MAXLEN', '=', length - step), 0
  end
  local slowest = nil
  for _, g in ipairs(groups) do
    if slowest == nil or less(g.last, slowest.last) or (g.last == slowest.last and slowest.lag == nil) then slowest = g end
  end
  if less(slowest.last, head) then
    -- Every entry left is after the slowest group's last-delivered id: all of them are unacked.
    local n = redis.call('XTRIM', stream, 'MAXLEN', '=', length - step)
    return n, n
  end
  if slowest.lag ~= nil and intactFrom(head) then
    return capByCounts(step, slowest, length, head)
  end
  return capByWalk(math.min(step, math.max(1, math.floor(walkIds / (#groups + 1)))), slowest, length, head)
end

local droppedUnacked = 0
if hard > 0 then
  local length = redis.call('XLEN', stream)
  if length > hard then
    local head = first
    if trimmed > 0 then head = headId() end
    local n, unacked = capStep(length, head)
    trimmed = trimmed + n
    droppedUnacked = unacked
    if length - n > hard then more = 1 end
    if unacked > 0 then redis.call('INCRBY', droppedKey, unacked) end
  end
end

if added ~= nil and added > 0 then
  local newest = redis.call('ZREVRANGE', cpKey, 0, 0, 'WITHSCORES')
  if #newest == 0 or tonumber(newest[2]) + CP_SPACING_MS <= tonumber(msOf(lastGen)) then
    redis.call('ZADD', cpKey, msOf(lastGen), string.format('%d|%s', added, lastGen))
    redis.call('ZREMRANGEBYRANK', cpKey, 0, -(CP_MAX + 1))
  end
  -- A checkpoint older than the first entry bounds nothing any more.
  redis.call('ZREMRANGEBYSCORE', cpKey, '-inf', '(' .. msOf(first))
  redis.call('PEXPIRE', cpKey, CP_TTL_MS)
end

return { trimmed, droppedUnacked, examined, more, rule }
