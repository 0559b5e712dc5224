--[[
  agentbus_membership_v1: heartbeat of one consumer in its topic's member set, scored by the
  Redis server's clock (TIME), so consumers with skewed clocks still agree on who is alive.

  KEYS[1]  the member sorted set
  ARGV[1]  member
  ARGV[2]  ttl in ms: members silent longer are dropped

  Returns the live members, sorted.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl * 10)
return redis.call('ZRANGE', KEYS[1], 0, -1)
