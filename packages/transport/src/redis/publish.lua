--[[
  agentbus_publish_v1: XADD one envelope, atomically with a dedupe check and a backlog budget.

  KEYS[1]    the stream to add to
  KEYS[2]    the dedupe record of this envelope id (same slot)
  KEYS[3..n] the streams whose summed length the budget counts (same slot)

  ARGV[1]    the envelope's wire text (stored in field `env`)
  ARGV[2]    dedupe window in ms; 0 = no dedupe
  ARGV[3]    budget in entries; 0 = no budget
  ARGV[4]    delivery headers (field `hdr`), or '' for none

  Returns
    { 1, streamId }   added
    { 2, streamId }   duplicate inside the window: nothing written; the id of the first publish
   { -1, length }     over budget (BACKPRESSURE): nothing written
]]
local window = tonumber(ARGV[2])
if window > 0 then
  local seen = redis.call('GET', KEYS[2])
  if seen then
    return { 2, seen }
  end
end

local budget = tonumber(ARGV[3])
if budget > 0 then
  local length = 0
  for i = 3, #KEYS do
    length = length + redis.call('XLEN', KEYS[i])
  end
  if length >= budget then
    return { -1, length }
  end
end

local id
if ARGV[4] ~= '' then
  id = redis.call('XADD', KEYS[1], '*', 'env', ARGV[1], 'hdr', ARGV[4])
else
  id = redis.call('XADD', KEYS[1], '*', 'env', ARGV[1])
end
if window > 0 then
  redis.call('SET', KEYS[2], id, 'PX', window)
end
return { 1, id }
