--[[
  agentbus_swarm_task_transition_v1: one atomic state change of a task hash (claim, release,
  complete, fail, escalate), checked against its current status and fields, with the per-status
  index sorted sets kept in step. Also heals the index when a Python agent changed the hash alone.

  KEYS[1]     the task hash (`task:{id}`)
  KEYS[2..n]  the per-status index sorted sets, in the order of spec.statuses

  ARGV[1]     the spec as JSON:
    id          task id (the index member)
    statuses    status names, in the order of KEYS[2..n]
    from        statuses the task may be in (its status is compared lower-case)
    guards      { field = value }: each field must hold the value ('' = empty or absent)
    already     optional { field = value }: when all hold, nothing is written (code 2)
    set         { field = value } to HSET; set.status moves the index entry
    unset       fields to HDEL
    ttl         EXPIRE of the task, seconds
    score       index score of the new entry (ms)
    indexTtl    EXPIRE of the index written to, seconds
    reindex     when true: only put the index entry where the current status says (code 3)

  Returns
    { 1, fields }   applied; fields = HGETALL after
    { 2, fields }   already in the wanted state; nothing written
    { -1, fields }  status not in spec.from; nothing written but the index entry corrected
    { -2, fields }  a guard failed; nothing written
    { 0 }           no such key; its index entries removed
    { -3, type }    the key is not a hash; nothing written
    { 3, fields }   reindex done
  A WRONGTYPE error when an index key is not a sorted set (nothing written).
]]
local spec = cjson.decode(ARGV[1])

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

-- Keeps the task in exactly the index of `status`; `nx` keeps an existing entry's score.
local function place(status, score, nx)
  for i, s in ipairs(spec.statuses) do
    local key = KEYS[i + 1]
    if s == status then
      if nx then
        if redis.call('ZADD', key, 'NX', score, spec.id) == 1 then
          redis.call('EXPIRE', key, spec.indexTtl)
        end
      else
        redis.call('ZADD', key, score, spec.id)
        redis.call('EXPIRE', key, spec.indexTtl)
      end
    else
      redis.call('ZREM', key, spec.id)
    end
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

local allowed = false
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
  if field(name) ~= want then
    return { -2, redis.call('HGETALL', KEYS[1]) }
  end
end

local pairs_ = {}
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
redis.call('EXPIRE', KEYS[1], spec.ttl)

if spec.set.status then
  place(spec.set.status, spec.score, false)
else
  place(status, spec.score, true)
end
return { 1, redis.call('HGETALL', KEYS[1]) }
