--[[
  agentbus_chat_open_session_v1: registers a session of a user unless the user already has the
  most live sessions allowed (maxConnectionsPerUser), counting and registering in one step so two
  hubs admitting the same user at once cannot both take the last place. Sessions whose last
  heartbeat is older than the TTL (their hub died without closing them) are removed and not counted.

  KEYS[1]  the user's sessions on every hub (hash sessionId -> last heartbeat, ms since epoch)

  ARGV[1]  session id
  ARGV[2]  now (ms since epoch)
  ARGV[3]  TTL (ms): presenceTtlMs
  ARGV[4]  most live sessions allowed

  Returns {1, n}: registered, n live sessions now including it;
          {0, n}: refused at the cap, n live sessions; nothing written.
]]
local sessions = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local live = 0
for i = 1, #sessions - 1, 2 do
  if now - (tonumber(sessions[i + 1]) or 0) < ttl then
    live = live + 1
  else
    redis.call('HDEL', KEYS[1], sessions[i])
  end
end
if live >= tonumber(ARGV[4]) then
  return { 0, live }
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return { 1, live + 1 }
