--[[
  agentbus_dead_letter_v2: move a delivery to the partition's dead-letter stream, atomically with
  acking it in its group: it is in exactly one of the two, whatever crashes. The stream is held
  at exactly `cap` entries and every dead letter the cap drops is counted, never silent.

  KEYS[1]  the stream the entry was read from: {ns:pt}:stream[:lane] or {ns:pt}:group:<g>:inbox
  KEYS[2]  the dead-letter stream:             {ns:pt}:dlq
  KEYS[3]  the counter of dropped dead letters: {ns:pt}:dlq-dropped

  ARGV[1]  consumer group
  ARGV[2]  stream entry id
  ARGV[3]  dead-letter stream cap (exact), 0 for none
  ARGV[4..n]  field, value pairs of the dead letter (env, reason, error, attempts, ...)

  Returns { id, dropped }: the dead letter's id and how many of the oldest dead letters the cap
  removed now; false when the entry was no longer pending (already settled).

  Trimming is exact (MAXLEN =) but removes at most STEP entries per call: after a cap was
  lowered, the excess drains over the next calls instead of blocking Redis once.
]]
local STEP = 100
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then
  return false
end
local args = { KEYS[2], '*' }
for i = 4, #ARGV do
  args[#args + 1] = ARGV[i]
end
local id = redis.call('XADD', unpack(args))
local cap = tonumber(ARGV[3])
local dropped = 0
if cap > 0 then
  local excess = redis.call('XLEN', KEYS[2]) - cap
  if excess > STEP then
    -- Everything before the (STEP + 1)-th oldest entry: exactly STEP entries.
    local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', STEP + 1)
    dropped = redis.call('XTRIM', KEYS[2], 'MINID', first[STEP + 1][1])
  elseif excess > 0 then
    dropped = redis.call('XTRIM', KEYS[2], 'MAXLEN', '=', cap)
  end
  if dropped > 0 then
    redis.call('INCRBY', KEYS[3], dropped)
  end
end
return { id, dropped }
