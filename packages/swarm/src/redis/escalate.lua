--[[
  agentbus_swarm_escalate_v1: marks a task needs_assist and appends its escalation envelope to
  the escalations stream in one step, so an entry is on the stream exactly when its mark is on
  the task, and nothing can change the task in between. The caller built the envelope (which
  carries the task as marked and its status before) from the hash it read: the script writes
  only while the hash is still exactly that, and otherwise writes nothing (the caller reads again).

  KEYS[1]       the task hash (`task:{id}`)
  KEYS[2..n-2]  the per-status index sorted sets, in the order of spec.statuses
  KEYS[n-1]     the lease index (the task leaves it: a task with a human is not taken back)
  KEYS[n]       the escalation stream: the lane of the envelope's priority on the topic
                partition transport.publish would pick

  ARGV[1]  the spec as JSON:
    id          task id (the index member)
    statuses    status names, in the order of KEYS[2..n-2]
    expected    { field = value }: the whole hash as read
    set         { field = value } to HSET (status = needs_assist, the escalation fields)
    ttl         EXPIRE of the task, seconds (its own TTL or the default, worked out by the caller)
    score       needs_assist index score (ms)
    indexTtl    least EXPIRE of the index written to, seconds (extended to spec.ttl)
  ARGV[2]  the envelope's wire text: XADD <stream> * env <text>, the entry transport.publish writes

  Returns
    { 1, streamId, fields }  appended and marked; fields = HGETALL after
    { -4 }                   the hash is not spec.expected any more; nothing written
    { 0 }                    no such key; nothing written
    { -3, type }             the key is not a hash; nothing written
  A WRONGTYPE error when an index key is not a sorted set or the stream key is not a stream
  (nothing written).

  The stream key has the topic's hash tag and the task key none: standalone or Sentinel Redis
  only (the swarm refuses a Cluster). A Cluster port would need an outbox (see the README).
]]
local spec = cjson.decode(ARGV[1])
local stream = KEYS[#KEYS]
local leaseKey = KEYS[#KEYS - 1]

-- Checked before any write: a failing XADD or ZADD after the mark would leave half an escalation.
for i = 2, #KEYS - 1 do
  local it = redis.call('TYPE', KEYS[i]).ok
  if it ~= 'zset' and it ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. it .. ', not the sorted set of a swarm index (run remediation with apply)')
  end
end
local st = redis.call('TYPE', stream).ok
if st ~= 'stream' and st ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. stream .. ' is a ' .. st .. ', not the escalations stream: move it aside or set escalationTopic to another topic')
end

local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then
  return { 0 }
end
if t ~= 'hash' then
  return { -3, t }
end

local have = redis.call('HGETALL', KEYS[1])
local count = 0
for _ in pairs(spec.expected) do
  count = count + 1
end
if #have ~= 2 * count then
  return { -4 }
end
for i = 1, #have, 2 do
  if spec.expected[have[i]] ~= have[i + 1] then
    return { -4 }
  end
end

local id = redis.call('XADD', stream, '*', 'env', ARGV[2])

local pairs_ = {}
for name, value in pairs(spec.set) do
  pairs_[#pairs_ + 1] = name
  pairs_[#pairs_ + 1] = value
end
redis.call('HSET', KEYS[1], unpack(pairs_))
redis.call('EXPIRE', KEYS[1], spec.ttl)

local ttl = math.max(spec.indexTtl, spec.ttl)
for i, s in ipairs(spec.statuses) do
  local key = KEYS[i + 1]
  if s == spec.set.status then
    -- Without NX: the score says when the task was marked, by its latest escalation.
    redis.call('ZADD', key, spec.score, spec.id)
    if redis.call('TTL', key) < ttl then
      redis.call('EXPIRE', key, ttl)
    end
  else
    redis.call('ZREM', key, spec.id)
  end
end
redis.call('ZREM', leaseKey, spec.id)

return { 1, id, redis.call('HGETALL', KEYS[1]) }
