--[[
  agentbus_lease_renew_v1: renew (or check) a consumer's lease on the entries it holds. An entry
  still pending for this consumer gets its idle time reset (XCLAIM ... JUSTID: the delivery count
  does not move), so no other consumer's XAUTOCLAIM takes it while the handler runs. With mode
  'ack' the owned entries are acked instead: an ack from a consumer that lost the entry must not
  settle the new owner's delivery (XACK alone does not look at the owner).

  KEYS[1]   the stream
  ARGV[1]   consumer group
  ARGV[2]   consumer name
  ARGV[3]   'renew' or 'ack'
  ARGV[4..] entry ids (at most a few hundred per call; the caller slices)

  Returns the ids this consumer no longer owns (taken over, acked elsewhere, or gone).
]]
local owned = {}
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local row = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if row[1] and row[1][2] == ARGV[2] then
    owned[#owned + 1] = id
  else
    lost[#lost + 1] = id
  end
end
if #owned > 0 then
  if ARGV[3] == 'ack' then
    redis.call('XACK', KEYS[1], ARGV[1], unpack(owned))
  else
    -- unpack() must be the last argument of a call to expand to every id.
    local args = { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0 }
    for _, id in ipairs(owned) do args[#args + 1] = id end
    args[#args + 1] = 'JUSTID'
    redis.call(unpack(args))
  end
end
return lost
