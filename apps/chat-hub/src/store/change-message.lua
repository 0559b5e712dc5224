--[[
  agentbus_chat_change_message_v1: edits or deletes a kept message, atomically with the check that
  it still exists and that the caller wrote it, so an edit can never land after a delete and bring
  the text back.

  A delete takes the text out of what is kept: the stream entries of the message and of its edits
  are removed (XDEL) and dropped from the recent cache, and the delete event is appended in their
  stead. That event is the tombstone history serves from then on; the message is no longer
  anywhere to page back to.

  KEYS[1]  stream
  KEYS[2]  recent-message cache (list, newest first)
  KEYS[3]  message authors (hash messageId -> userId)
  KEYS[4]  message entries (hash messageId -> the seqs of the message and its edits, space-separated)

  ARGV[1]  envelope JSON of the edit or delete event
  ARGV[2]  recent limit
  ARGV[3]  stream MAXLEN (~)
  ARGV[4]  message id
  ARGV[5]  who asks: must be the message's author
  ARGV[6]  'edit' or 'delete'
  ARGV[7]  TTL of the entry records (s)
  ARGV[8]  Pub/Sub channel to publish on

  Returns the seq of the event appended; 0 when there is no such message (never written, deleted,
  or its records expired) and -1 when ARGV[5] is not its author: nothing is written then.
]]
local author = redis.call('HGET', KEYS[3], ARGV[4])
if not author then
  return 0
end
if author ~= ARGV[5] then
  return -1
end
if ARGV[6] == 'delete' then
  local seqs = redis.call('HGET', KEYS[4], ARGV[4]) or ''
  for old in string.gmatch(seqs, '%S+') do
    local entry = redis.call('XRANGE', KEYS[1], old, old)[1]
    if entry then
      local fields = entry[2]
      for i = 1, #fields - 1, 2 do
        if fields[i] == 'env' then
          -- The cached frame is the text append.lua built from this very entry.
          redis.call('LREM', KEYS[2], 0, '{"type":"event","seq":"' .. old .. '","env":' .. fields[i + 1] .. '}')
        end
      end
      redis.call('XDEL', KEYS[1], old)
    end
  end
  redis.call('HDEL', KEYS[3], ARGV[4])
  redis.call('HDEL', KEYS[4], ARGV[4])
end
local seq = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'env', ARGV[1])
local frame = '{"type":"event","seq":"' .. seq .. '","env":' .. ARGV[1] .. '}'
redis.call('LPUSH', KEYS[2], frame)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if ARGV[6] == 'edit' then
  local seqs = redis.call('HGET', KEYS[4], ARGV[4])
  redis.call('HSET', KEYS[4], ARGV[4], seqs and (seqs .. ' ' .. seq) or seq)
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
redis.call('PUBLISH', ARGV[8], frame)
return seq
