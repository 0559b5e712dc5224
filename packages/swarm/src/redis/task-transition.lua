--[[
  agentbus_swarm_task_transition_v2: one atomic state change of a task hash (claim, renew,
  release, complete, fail), checked against its current status and fields, with the per-status
  index sorted sets and the lease index kept in step. Also heals the indexes when a Python agent
  changed the hash alone. (v2: the lease index key, `reclaim`, `leaseScore`, the task's own TTL.)

  KEYS[1]       the task hash (`task:{id}`)
  KEYS[2..n-1]  the per-status index sorted sets, in the order of spec.statuses
  KEYS[n]       the lease index (sorted set: id -> ms its claimed_until runs out); a task is in it
                exactly while it is in_progress with a claimed_until

  ARGV[1]     the spec as JSON:
    id          task id (the index member)
    statuses    status names, in the order of KEYS[2..n-1]
    from        statuses the task may be in (its status is compared lower-case)
    guards      { field = value }: each field must hold the value ('' = empty or absent)
    already     optional { field = value }: when all hold, nothing is written (code 2)
    set         { field = value } to HSET; set.status moves the index entry
    unset       fields to HDEL
    ttl         EXPIRE of the task, seconds, unless its ttl_seconds field holds 1-9 digits (> 0)
    score       index score of the new entry (ms)
    indexTtl    least EXPIRE of an index written to, seconds (extended to the task's TTL)
    reclaim     optional ISO time: an in_progress task whose claimed_until (canonical ISO text)
                is before it passes the status check and the assignee guard; reclaimed_count is
                incremented and reclaimed_from set to its assignee
    leaseScore  optional: the lease index score (ms) of the claimed_until in spec.set
    reindex     when true: only put the index entries where the current status says (code 3)

  Returns
    { 1, fields }   applied; fields = HGETALL after
    { 2, fields }   already in the wanted state; nothing written
    { -1, fields }  status not in spec.from; nothing written but the index entries corrected
    { -2, fields }  a guard failed; nothing written
    { 0 }           no such key; its index entries removed
    { -3, type }    the key is not a hash; nothing written
    { 3, fields }   reindex done
  A WRONGTYPE error when an index key is not a sorted set (nothing written).

  Keys of several slots: standalone or Sentinel Redis only (the swarm refuses a Cluster).
]]
local spec = cjson.decode(ARGV[1])
local leaseKey = KEYS[#KEYS]

-- An index key of another type would fail half-way through the writes below: refuse first.
for i = 2, #KEYS do
  local it = redis.call('TYPE', KEYS[i]).ok
  if it ~= 'zset' and it ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. it .. ', not the sorted set of a swarm index (run remediation with apply)')
  end
end

local t = redis.call('TYPE', KEYS[1]).ok

if t == 'none' then
  for i = 2, #KEYS do
    redis.call('ZREM', KEYS[i], spec.id)
  end
  return { 0 }
end
if t ~= 'hash' then
  return { -3, t }
end

local function field(name)
  local v = redis.call('HGET', KEYS[1], name)
  if not v then
    return ''
  end
  return v
end

-- A task created with its own TTL keeps it on every write, not the 24 h default.
local function taskTtl()
  local own = field('ttl_seconds')
  if string.match(own, '^%d+$') and #own <= 9 and tonumber(own) > 0 then
    return tonumber(own)
  end
  return spec.ttl
end

-- Only ever lengthens: an index must outlive the longest-lived task it holds.
local function extend(key, ttl)
  if redis.call('TTL', key) < ttl then
    redis.call('EXPIRE', key, ttl)
  end
end

-- Keeps the task in exactly the index of `status` (`nx` keeps an existing entry's score), and
-- in the lease index exactly while it is in_progress with a claimed_until (scored `leaseScore`
-- when given: only a write that set claimed_until moves the lease).
local function place(status, score, nx, leaseScore)
  local ttl = math.max(spec.indexTtl, taskTtl())
  for i, s in ipairs(spec.statuses) do
    local key = KEYS[i + 1]
    if s == status then
      if nx then
        if redis.call('ZADD', key, 'NX', score, spec.id) == 1 then
          extend(key, ttl)
        end
      else
        redis.call('ZADD', key, score, spec.id)
        extend(key, ttl)
      end
    else
      redis.call('ZREM', key, spec.id)
    end
  end
  if status ~= 'in_progress' or field('claimed_until') == '' then
    redis.call('ZREM', leaseKey, spec.id)
  elseif leaseScore then
    redis.call('ZADD', leaseKey, leaseScore, spec.id)
    extend(leaseKey, ttl)
  end
end

local status = string.lower(field('status'))

if spec.reindex then
  place(status, spec.score, true)
  return { 3, redis.call('HGETALL', KEYS[1]) }
end

if spec.already then
  local done = true
  for name, want in pairs(spec.already) do
    local have = field(name)
    if name == 'status' then
      have = string.lower(have)
    end
    if have ~= want then
      done = false
    end
  end
  if done then
    return { 2, redis.call('HGETALL', KEYS[1]) }
  end
end

-- Canonical ISO texts order as their times, so the lease check is a string comparison.
local function leaseExpired()
  if not spec.reclaim or status ~= 'in_progress' then
    return false
  end
  local until_ = field('claimed_until')
  return string.match(until_, '^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$') ~= nil and until_ < spec.reclaim
end

local reclaiming = leaseExpired()
local allowed = reclaiming
for _, s in ipairs(spec.from) do
  if s == status then
    allowed = true
  end
end
if not allowed then
  place(status, spec.score, true)
  return { -1, redis.call('HGETALL', KEYS[1]) }
end

for name, want in pairs(spec.guards) do
  if field(name) ~= want and not (reclaiming and name == 'assignee') then
    return { -2, redis.call('HGETALL', KEYS[1]) }
  end
end

local pairs_ = {}
if reclaiming then
  -- Not HINCRBY: a count some other program garbled must not fail the script half-way.
  local count = tonumber(string.match(field('reclaimed_count'), '^%d+$') or '0') + 1
  pairs_ = { 'reclaimed_from', field('assignee'), 'reclaimed_count', tostring(count) }
end
for name, value in pairs(spec.set) do
  pairs_[#pairs_ + 1] = name
  pairs_[#pairs_ + 1] = value
end
if #pairs_ > 0 then
  redis.call('HSET', KEYS[1], unpack(pairs_))
end
for _, name in ipairs(spec.unset) do
  redis.call('HDEL', KEYS[1], name)
end
redis.call('EXPIRE', KEYS[1], taskTtl())

if spec.set.status then
  place(spec.set.status, spec.score, false, spec.leaseScore)
else
  place(status, spec.score, true, spec.leaseScore)
end
return { 1, redis.call('HGETALL', KEYS[1]) }
