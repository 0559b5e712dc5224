--[[
  agentbus_swarm_cas_v1: SET a JSON record with its TTL only while the key still holds what the
  caller read (read-merge-write without lost updates). A legacy hash record is compared field by
  field and replaced by the string.

  KEYS[1]  the record

  ARGV[1]  the TYPE the caller read: 'none', 'string' or 'hash'
  ARGV[2]  the new value
  ARGV[3]  TTL, seconds
  ARGV[4]  'string': the value read; 'hash': field, value, ... as read, from ARGV[4]

  Returns 1 when written, 0 when the key changed since the read (nothing written).
]]
local t = redis.call('TYPE', KEYS[1]).ok
if t ~= ARGV[1] then
  return 0
end
if t == 'string' then
  if redis.call('GET', KEYS[1]) ~= ARGV[4] then
    return 0
  end
elseif t == 'hash' then
  if redis.call('HLEN', KEYS[1]) * 2 ~= #ARGV - 3 then
    return 0
  end
  for i = 4, #ARGV, 2 do
    if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
