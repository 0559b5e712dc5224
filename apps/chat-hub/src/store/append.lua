-- Appends one chat event to its channel (or direct conversation, or the announcements) and
-- publishes it, atomically: every hub receives a conversation's events in the order of its
-- stream, so a client's last seen seq is a safe resume point.
-- KEYS[1] stream, KEYS[2] recent-message cache (list, newest first), KEYS[3] message authors (hash),
-- KEYS[4..] sets of direct conversation ids of the participants (direct messages only)
-- ARGV[1] envelope JSON, ARGV[2] recent limit, ARGV[3] stream MAXLEN, ARGV[4] new message id
-- ('' for none), ARGV[5] its author, ARGV[6] author record TTL (s), ARGV[7] conversation id added to
-- KEYS[4..], ARGV[8..] Pub/Sub channels to publish on (the channel, each participant, or the global one)
-- Returns the stream id (the event's seq).
local seq = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'env', ARGV[1])
-- The same text as eventFrameText() in protocol/server-frames.ts.
local frame = '{"type":"event","seq":"' .. seq .. '","env":' .. ARGV[1] .. '}'
redis.call('LPUSH', KEYS[2], frame)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end
for i = 4, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[7])
end
for i = 8, #ARGV do
  redis.call('PUBLISH', ARGV[i], frame)
end
return seq
