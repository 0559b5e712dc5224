--[[
  agentbus_move_due_v1: drains the per-topic delayed set that version 1 of this package wrote
  (`{ns:topic}:delayed`, members without a group). Nothing writes that set any more; this only
  empties what an older process left behind during an upgrade, back onto the lane streams as
  version 1 would have (every group gets them: their group was never recorded). ZREM in the same
  atomic step as the XADD, so each member is moved exactly once.

  KEYS[1]  the topic's delayed sorted set
  KEYS[2]  lane stream urgent   (same slot)
  KEYS[3]  lane stream high
  KEYS[4]  lane stream normal
  KEYS[5]  lane stream low

  ARGV[1]  now, ms since epoch: members scored at or before it are due
  ARGV[2]  most members to move in one call

  Returns the number moved. A member whose JSON cannot be read is moved to lane normal with
  its text as the envelope, so nothing is lost (the consumer then dead-letters it as invalid).
]]
local lanes = { urgent = KEYS[2], high = KEYS[3], normal = KEYS[4], low = KEYS[5] }
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local ok, item = pcall(cjson.decode, member)
  if ok and type(item) == 'table' and type(item.env) == 'string' then
    local stream = lanes[item.lane] or KEYS[4]
    if type(item.hdr) == 'string' and item.hdr ~= '' then
      redis.call('XADD', stream, '*', 'env', item.env, 'hdr', item.hdr)
    else
      redis.call('XADD', stream, '*', 'env', item.env)
    end
  else
    redis.call('XADD', KEYS[4], '*', 'env', member)
  end
  redis.call('ZREM', KEYS[1], member)
end
return #due
