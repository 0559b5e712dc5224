--[[
  agentbus_trim_v1: apply a topic's retention to one stream without losing unacked entries.

  The policy point (entries older than MINID, or beyond the newest MAXLEN) is bounded by every
  group's oldest pending entry and its first undelivered entry: those are never removed. A hard
  cap is the one exception; each entry it drops that some group had not acked is counted.

  KEYS[1]  the stream
  KEYS[2]  the dropped-unacked counter (same slot)

  ARGV[1]  policy MINID ("ms-seq"), or "" for none
  ARGV[2]  policy MAXLEN, 0 for none
  ARGV[3]  hard cap on length, 0 for none

  Returns { trimmed, droppedUnacked }
]]
local stream = KEYS[1]
if redis.call('EXISTS', stream) == 0 then
  return { 0, 0 }
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

-- Per group: the last delivered id and the set of pending ids are what "not acked" means.
local groups = {}
local bound = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  local group = { name = info['name'], last = info['last-delivered-id'], pending = tonumber(info['pending']) }
  groups[#groups + 1] = group
  if group.pending > 0 then
    local summary = redis.call('XPENDING', stream, group.name)
    local oldest = summary[2]
    if oldest and (bound == nil or less(oldest, bound)) then bound = oldest end
  end
  local undelivered = redis.call('XRANGE', stream, '(' .. group.last, '+', 'COUNT', 1)
  if #undelivered > 0 then
    local first = undelivered[1][1]
    if bound == nil or less(first, bound) then bound = first end
  end
end

local before = redis.call('XLEN', stream)

-- The policy's own point.
local target = nil
if ARGV[1] ~= '' then target = ARGV[1] end
local maxlen = tonumber(ARGV[2])
if maxlen > 0 and before > maxlen then
  local over = redis.call('XRANGE', stream, '-', '+', 'COUNT', before - maxlen + 1)
  local keepFrom = over[#over][1]
  if target == nil or less(target, keepFrom) then target = keepFrom end
end

if target ~= nil then
  if bound ~= nil and less(bound, target) then target = bound end
  redis.call('XTRIM', stream, 'MINID', '=', target)
end

local droppedUnacked = 0
local hard = tonumber(ARGV[3])
local length = redis.call('XLEN', stream)
if hard > 0 and length > hard then
  local doomed = redis.call('XRANGE', stream, '-', '+', 'COUNT', length - hard)
  local cutoff = doomed[#doomed][1]
  local pendingSets = {}
  for gi, group in ipairs(groups) do
    local set = {}
    if group.pending > 0 then
      for _, p in ipairs(redis.call('XPENDING', stream, group.name, '-', cutoff, #doomed)) do
        set[p[1]] = true
      end
    end
    pendingSets[gi] = set
  end
  for _, entry in ipairs(doomed) do
    local id = entry[1]
    for gi, group in ipairs(groups) do
      if pendingSets[gi][id] or less(group.last, id) then
        droppedUnacked = droppedUnacked + 1
        break
      end
    end
  end
  redis.call('XTRIM', stream, 'MAXLEN', '=', hard)
  if droppedUnacked > 0 then
    redis.call('INCRBY', KEYS[2], droppedUnacked)
  end
end

return { before - redis.call('XLEN', stream), droppedUnacked }
