--[[
  agentbus_retry_v2: settle a failed delivery by scheduling its retry in its own group,
  atomically: the entry is acked in the stream it was read from (a lane or the group's inbox) and
  added to the group's delayed set at the same instant, so a crash can neither lose it nor leave
  it both pending and scheduled. The set belongs to one group, so no other group sees the retry.

  KEYS[1]  the stream the entry was read from: {ns:pt}:stream[:lane] or {ns:pt}:group:<g>:inbox
  KEYS[2]  the group's delayed sorted set of that partition: {ns:pt}:group:<g>:delayed

  ARGV[1]  consumer group
  ARGV[2]  stream entry id
  ARGV[3]  due time, ms since epoch (the score)
  ARGV[4]  member: JSON { sid, env, hdr } to add to the group's inbox when due

  Returns 1 when scheduled, 0 when the entry was no longer pending (someone else settled it).
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
