--[[
  agentbus_read_lanes_v1: read new entries for one consumer from the lanes of one partition
  (and its group's inbox) with ONE budget over all of them, so a consumer never buffers more than
  its window (XREADGROUP COUNT alone applies per stream). Fenced: on a partitioned topic the read
  happens only while the consumer still holds the partition's lease.

  KEYS[1..n]   the streams to read (lanes, inbox), heaviest weight first; one hash tag
  KEYS[n+1]    the partition's owner key, only when ARGV[4] is not ''

  ARGV[1]      consumer group
  ARGV[2]      consumer name
  ARGV[3]      budget: most entries to read over all streams
  ARGV[4]      fencing token the owner key must hold, or '' when not fenced
  ARGV[5..]    one weight per stream

  Returns
    { 1, entries_1, ..., entries_n }  entries read, per stream ({ {id, {field, value, ...}}, ... })
    { 0, last_1, ..., last_n }        nothing new: each stream's newest id ('0-0' when empty), to
                                      wait on with XREAD BLOCK, which reads nothing for the group
    { -1 }                            fenced: the lease on the partition is held by another token
]]
local n = #ARGV - 4
if ARGV[4] ~= '' and redis.call('GET', KEYS[n + 1]) ~= ARGV[4] then
  return { -1 }
end
local budget = tonumber(ARGV[3])
local total = 0
for i = 1, n do total = total + tonumber(ARGV[4 + i]) end

local out = { 1 }
local full = {}
local got = 0

local function read(i, count)
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[i], '>')
  if not reply then return 0 end
  local entries = reply[1][2]
  local list = out[i + 1]
  for _, e in ipairs(entries) do list[#list + 1] = e end
  return #entries
end

-- First pass: each stream its share of the budget by weight, so no lane starves another.
for i = 1, n do
  out[i + 1] = {}
  local share = math.max(1, math.floor(budget * tonumber(ARGV[4 + i]) / total))
  if share > budget - got then share = budget - got end
  if share > 0 then
    local k = read(i, share)
    got = got + k
    full[i] = (k == share)
  end
end
-- Second pass: what the quiet streams left goes to the busy ones.
for i = 1, n do
  if got >= budget then break end
  if full[i] then got = got + read(i, budget - got) end
end
if got > 0 then return out end

local last = { 0 }
for i = 1, n do
  local tail = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
  last[i + 1] = tail[1] and tail[1][1] or '0-0'
end
return last
