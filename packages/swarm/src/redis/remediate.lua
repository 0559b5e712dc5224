--[[
  agentbus_swarm_remediate_v1: fix one key a remediation scan reported, only if it is still as
  the scan saw it.

  KEYS[1]  the key
  KEYS[2]  'quarantine': where to move it (`<key>:quarantine:<ts>`); 'expire': unused (= KEYS[1])

  ARGV[1]  'expire' (set the missing TTL) or 'quarantine' (rename aside, never delete)
  ARGV[2]  the TYPE the scan saw
  ARGV[3]  TTL to set, seconds ('quarantine': TTL of the moved key; 0 = none)

  Returns
    1   fixed
    0   the key changed since the scan (other type, gone, or it has a TTL now): nothing done
   -1   'quarantine': the destination exists: nothing done
]]
if redis.call('TYPE', KEYS[1]).ok ~= ARGV[2] then
  return 0
end
if ARGV[1] == 'expire' then
  if redis.call('TTL', KEYS[1]) ~= -1 then
    return 0
  end
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
redis.call('RENAME', KEYS[1], KEYS[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
