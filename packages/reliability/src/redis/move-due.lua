--[[
  agentbus_move_due_v2: move a group's retries that are due from its delayed set into its inbox
  stream, which only that group reads. One script, so any number of schedulers may run at once:
  each member is moved exactly once (ZREM in the same atomic step as the XADD). It also answers
  when the next member falls due, so a scheduler can leave a set alone until then instead of
  asking every tick.

  KEYS[1]  the group's delayed sorted set of one partition: {ns:pt}:group:<g>:delayed
  KEYS[2]  the group's inbox stream of that partition:      {ns:pt}:group:<g>:inbox

  ARGV[1]  now, ms since epoch: members scored at or before it are due
  ARGV[2]  most members to move in one call

  Returns { moved, next }: next is the score of the earliest member left (ms since epoch, as a
  string), or '' when the set is empty. A member whose JSON cannot be read is added with its
  text as the envelope, so nothing is lost (the consumer then dead-letters it as invalid).
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local ok, item = pcall(cjson.decode, member)
  if ok and type(item) == 'table' and type(item.env) == 'string' then
    if type(item.hdr) == 'string' and item.hdr ~= '' then
      redis.call('XADD', KEYS[2], '*', 'env', item.env, 'hdr', item.hdr)
    else
      redis.call('XADD', KEYS[2], '*', 'env', item.env)
    end
  else
    redis.call('XADD', KEYS[2], '*', 'env', member)
  end
  redis.call('ZREM', KEYS[1], member)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { #due, first[2] or '' }
