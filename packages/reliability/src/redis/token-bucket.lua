--[[
  agentbus_token_bucket_v1: take tokens from one token bucket, atomically, on the server's clock.

  KEYS[1]  the bucket: a hash { tokens = tokens left at `ts`, ts = server time of that count, ms }

  ARGV[1]  capacity: the most tokens the bucket holds (> 0)
  ARGV[2]  refill rate, tokens per second (> 0)
  ARGV[3]  tokens to take (0 <= n <= capacity; 0 only reads the bucket)

  Returns { allowed, remaining, retryAfterMs }
    { 1, remaining, 0 }             taken; remaining = whole tokens left
    { 0, remaining, retryAfterMs }  refused, nothing written; enough tokens in retryAfterMs ms

  Time is the server's `TIME`, so clients with skewed clocks agree. A missing bucket is a full
  one; the hash gets a PEXPIRE of the time it takes to refill completely, so an idle bucket
  vanishes exactly when it would be full again. A server clock that steps back grants nothing
  (the stored `ts` never moves back).
]]
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local want = tonumber(ARGV[3])

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000

local tokens = capacity
local ts = now
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local stored = tonumber(state[1])
local last = tonumber(state[2])
if stored and last then
  if now > last then
    tokens = math.min(capacity, stored + (now - last) * rate / 1000)
  else
    tokens = math.min(capacity, stored)
    ts = last
  end
end

-- A hair of slack, so floating-point rounding never refuses a token that has fully arrived.
if want <= tokens + 1e-9 then
  tokens = math.max(0, tokens - want)
  if want > 0 then
    redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.3f', ts))
    redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1)
  end
  return { 1, math.floor(tokens + 1e-9), 0 }
end

return { 0, math.floor(tokens + 1e-9), math.ceil((want - tokens) * 1000 / rate) }
