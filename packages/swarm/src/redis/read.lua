--[[
  agentbus_swarm_read_v1: a key's TYPE and value in one atomic step, so a record is decoded with
  the codec of the type it really has (JSON string, or the hash older Python agents write).

  KEYS[1]  the record

  Returns
    { 'string', value }
    { 'hash', { field, value, ... } }
    { type }              'none', or a type no record has (list, set, zset, stream)
]]
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'string' then
  return { t, redis.call('GET', KEYS[1]) }
end
if t == 'hash' then
  return { t, redis.call('HGETALL', KEYS[1]) }
end
return { t }
