--[[
  agentbus_chat_append_v3: appends one chat event to its channel (or direct conversation, or the
  announcements) and publishes it, atomically: every hub receives a conversation's events in the
  order of its stream, so a client's last seen seq is a safe resume point.

  KEYS[1]   stream
  KEYS[2]   recent-message cache (list, newest first)
  KEYS[3]   message authors (hash messageId -> userId): edit and delete checks
  KEYS[4]   message entries (hash messageId -> the seqs of the message and its edits, space-separated):
            what a delete removes (change-message.lua)
  KEYS[5..] the participants' sets of direct conversation ids (direct messages only)

  ARGV[1]   envelope JSON
  ARGV[2]   recent limit
  ARGV[3]   stream MAXLEN (~)
  ARGV[4]   new message id ('' when the event is no new message)
  ARGV[5]   its author
  ARGV[6]   TTL of the author and entry records (s)
  ARGV[7]   conversation id added to KEYS[5..]
  ARGV[8..] Pub/Sub channels to publish on (the channel, each participant, or the global one)

  Returns the stream id (the event's seq).
]]
local seq = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'env', ARGV[1])
-- The same text as eventFrameText() in protocol/server-frames.ts.
local frame = '{"type":"event","seq":"' .. seq .. '","env":' .. ARGV[1] .. '}'
redis.call('LPUSH', KEYS[2], frame)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
  redis.call('EXPIRE', KEYS[3], ARGV[6])
  redis.call('HSET', KEYS[4], ARGV[4], seq)
  redis.call('EXPIRE', KEYS[4], ARGV[6])
end
for i = 5, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[7])
end
for i = 8, #ARGV do
  redis.call('PUBLISH', ARGV[i], frame)
end
return seq
