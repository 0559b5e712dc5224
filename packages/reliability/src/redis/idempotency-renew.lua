--[[
  agentbus_idem_renew_v1: extend this holder's lease while its side effect is still running.

  KEYS[1]  the idempotency record

  ARGV[1]  the lease value of this holder ('lease:<token>')
  ARGV[2]  lease length in ms, from now

  Returns 1 when extended, 0 when the lease was no longer this holder's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
