--[[
  agentbus_idem_complete_v1: mark an idempotency record done after its side effect ran.

  KEYS[1]  the idempotency record

  ARGV[1]  the lease value of this holder ('lease:<token>')
  ARGV[2]  how long the done record is kept, ms

  Returns 1 when this holder still held the lease, 0 when it had expired or was taken over
  (the record is marked done either way: the side effect did run).
]]
local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if v == ARGV[1] then
  return 1
end
return 0
