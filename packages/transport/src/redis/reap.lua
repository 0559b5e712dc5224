--[[
  agentbus_reap_v1: remove consumers that have been idle past a limit and own no pending entry,
  so groups do not fill with ghosts. Atomic, so an entry cannot be assigned between the check
  and the removal.

  KEYS[1]  the stream
  ARGV[1]  the group
  ARGV[2]  idle limit in ms
  ARGV[3]  a consumer never to remove (the caller)

  Returns the names removed (empty when the group does not exist).
]]
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return {}
end
local limit = tonumber(ARGV[2])
local removed = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  -- Redis >= 7.2 reports `inactive` (since the last successful read); older ones only `idle`.
  -- `idle` counts from the last read attempt, so a live consumer blocking on an empty stream
  -- is not idle (Redis >= 7.2 also has `inactive`, from the last successful read: not used).
  local idle = tonumber(info['idle'])
  if info['name'] ~= ARGV[3] and tonumber(info['pending']) == 0 and idle ~= nil and idle >= limit then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
