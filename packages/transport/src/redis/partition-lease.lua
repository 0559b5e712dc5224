--[[
  agentbus_partition_lease_v1: the lease on one partition of a partitioned topic for one group.
  Its holder's token fences reads (read-lanes.lua reads only while the key holds the token), so
  a partition's old owner stops handing out its entries before a new owner reads any.

  KEYS[1]  the owner key (keys.group(partitionTopic, group, 'owner'))
  ARGV[1]  token of the would-be holder (unique per consumer instance)
  ARGV[2]  'acquire' (also renews) or 'release'
  ARGV[3]  ttl in ms (acquire)

  Returns 1 when the caller holds the lease after the call (acquire) or released it (release),
  0 when another token holds it.
]]
local holder = redis.call('GET', KEYS[1])
if ARGV[2] == 'release' then
  if holder == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[3]))
return 1
