--[[
  agentbus_dead_letter_v1: move a delivery to the topic's dead-letter stream, atomically with
  acking it in its group: it is in exactly one of the two, whatever crashes.

  KEYS[1]  the stream the entry was read from
  KEYS[2]  the dead-letter stream (same slot)

  ARGV[1]  consumer group
  ARGV[2]  stream entry id
  ARGV[3]  dead-letter stream cap (MAXLEN ~), 0 for none
  ARGV[4..n]  field, value pairs of the dead letter (env, hdr, reason, error, attempts, ...)

  Returns the dead letter's id, or false when the entry was no longer pending (already settled).
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then
  return false
end
local args = { KEYS[2] }
local cap = tonumber(ARGV[3])
if cap > 0 then
  args[#args + 1] = 'MAXLEN'
  args[#args + 1] = '~'
  args[#args + 1] = cap
end
args[#args + 1] = '*'
for i = 4, #ARGV do
  args[#args + 1] = ARGV[i]
end
return redis.call('XADD', unpack(args))
