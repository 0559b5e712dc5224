--[[
  agentbus_idem_acquire_v1: take the processing lease of an idempotency record, unless it is
  done or another holder's lease is live.

  KEYS[1]  the idempotency record (a string)

  ARGV[1]  the lease value: 'lease:<token>' of this holder
  ARGV[2]  lease length in ms

  Returns
    { 1, 0 }     acquired: the record now holds ARGV[1] for ARGV[2] ms
    { 2, 0 }     done already: nothing written, the side effect must not run again
    { 3, pttl }  another holder's lease is live for pttl more ms: nothing written
  An expired lease (its holder crashed) is gone from Redis, so it is simply acquired.
]]
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return { 1, 0 }
end
if v == 'done' then
  return { 2, 0 }
end
return { 3, redis.call('PTTL', KEYS[1]) }
