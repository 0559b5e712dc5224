-- Appends one chat event to its channel and publishes it, atomically: every hub receives a
-- channel's events in the order of its stream, so a client's last seen seq is a safe resume point.
-- KEYS[1] stream, KEYS[2] recent-message cache (list, newest first), KEYS[3] message authors (hash)
-- ARGV[1] envelope JSON, ARGV[2] Pub/Sub channel, ARGV[3] recent limit, ARGV[4] stream MAXLEN,
-- ARGV[5] new message id ('' for none), ARGV[6] its author, ARGV[7] author record TTL (s)
-- Returns the stream id (the event's seq).
local seq = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'env', ARGV[1])
-- The same text as eventFrameText() in protocol/server-frames.ts.
local frame = '{"type":"event","seq":"' .. seq .. '","env":' .. ARGV[1] .. '}'
redis.call('LPUSH', KEYS[2], frame)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
redis.call('PUBLISH', ARGV[2], frame)
return seq
