--[[
  agentbus_swarm_create_v2: write a new record with its TTL and (optionally) its index entry,
  only when the key does not exist yet. (v2: the index TTL is only ever lengthened, so an index
  outlives a task created with a longer TTL of its own.)

  KEYS[1]  the record (`task:{id}` hash, or a `finding:{id}` string)
  KEYS[2]  optional: the sorted-set index to add the record's id to

  ARGV[1]  'hash' or 'string'
  ARGV[2]  TTL of the record, seconds
  ARGV[3]  index member (ignored without KEYS[2])
  ARGV[4]  index score (ms)
  ARGV[5]  least TTL of the index, seconds
  ARGV[6]  'string': the value; 'hash': field, value, field, value, ... from ARGV[6]

  Returns 1 when written, 0 when the key existed (nothing written); a WRONGTYPE error when the
  index key is not a sorted set (nothing written).
]]
-- An index key of another type would fail half-way through the writes below: refuse first.
for i = 2, #KEYS do
  local it = redis.call('TYPE', KEYS[i]).ok
  if it ~= 'zset' and it ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. it .. ', not the sorted set of a swarm index (run remediation with apply)')
  end
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if ARGV[1] == 'hash' then
  redis.call('HSET', KEYS[1], unpack(ARGV, 6))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[2])
end
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
  if redis.call('TTL', KEYS[2]) < tonumber(ARGV[5]) then
    redis.call('EXPIRE', KEYS[2], ARGV[5])
  end
end
return 1
