--[[
  agentbus_idem_release_v1: remove an idempotency record whose side effect failed, so that a
  retry runs it again; only while this holder still holds the lease.

  KEYS[1]  the idempotency record

  ARGV[1]  the lease value of this holder ('lease:<token>')

  Returns 1 when removed, 0 when the record was not this holder's (done, taken over, expired).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
