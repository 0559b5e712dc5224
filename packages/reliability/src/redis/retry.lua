--[[
  agentbus_retry_v1: settle a failed delivery by scheduling its retry, atomically: the entry is
  acked in the group and added to the topic's delayed set at the same instant, so a crash can
  neither lose it nor leave it both pending and scheduled.

  KEYS[1]  the stream the entry was read from
  KEYS[2]  the topic's delayed sorted set (same slot)

  ARGV[1]  consumer group
  ARGV[2]  stream entry id
  ARGV[3]  due time, ms since epoch (the score)
  ARGV[4]  member: JSON { lane, env, hdr } to put back on the stream when due

  Returns 1 when scheduled, 0 when the entry was no longer pending (someone else settled it).
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
