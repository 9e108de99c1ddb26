/**
 * Lua scripts of the Redis broker. Each runs atomically on the Redis server, which is
 * what makes offsets unique and consecutive across nodes: the counter INCR, the XADD
 * with the explicit id `<offset>-0`, the dedupe SET and the fan-out PUBLISH happen as
 * one step, so no other node's publish can interleave.
 */

// Epoch rule: the epoch key, the offset counter and the stream are one unit. A channel
// is intact when the epoch and the counter exist and, once anything was published, the
// stream exists too. If any piece is missing (first use, keys deleted, evicted or
// expired), the history is gone: a new epoch is stored and offsets restart at 0.
const ENSURE = `
local function ensure(kEpoch, kSeq, kLog, newEpoch)
  local epoch = redis.call('GET', kEpoch)
  local seq = redis.call('GET', kSeq)
  if epoch and seq and (tonumber(seq) == 0 or redis.call('EXISTS', kLog) == 1) then
    return epoch, tonumber(seq)
  end
  redis.call('SET', kEpoch, newEpoch)
  redis.call('SET', kSeq, '0')
  redis.call('DEL', kLog)
  return newEpoch, 0
end
`;

/**
 * KEYS: epoch, seq, log, dedupeKey (ignored without id), legacyDedupeKey (the id's key from
 *       before publisher-scoped ids, `{ch}:id:<id>`; equal to dedupeKey when there is no
 *       legacy key to look at: no id, or no user)
 * ARGV: newEpoch, dataJson, id ('' = none), ts, maxLen, approx ('1'|'0'), dedupeTtlMs ('' = no expiry), feedChannel,
 *       userJson (the publisher's token `sub` as JSON text; '' or missing = none)
 * Returns {offset, epoch, duplicate(0|1)}.
 *
 * Rolling-upgrade fallback (SCALING.md): a node from before 36c219e stored a publisher's
 * id under the legacy key only. When the publisher's own key misses, the legacy key is
 * read (one GET, only then), and the publish is a duplicate only if the entry it names,
 * in the current epoch, has this `u` and this `i`: another user's id under that key
 * stays no duplicate (the reason ids are scoped). An entry already trimmed cannot be
 * checked and is not taken as one. Removable once no old node has published for
 * `dedupeTtlMs`: every legacy key written by a publisher has expired by then.
 *
 * The stream entry is `d <data> i <id> t <ts>`, plus `u <userJson>` when there is one
 * (entries written before `u` existed simply have none); the fan-out header is `[epoch,
 * offset, ts, id]`, plus `userJson` as a fifth element when there is one. JSON text, as
 * presence members are stored: Redis keeps strings as UTF-8, where a lone surrogate in a
 * `sub` would become U+FFFD (two subjects read back as one).
 *
 * Every argument is checked before the first write: a Lua error does not undo the
 * writes before it, so a late failure would leave a message stored but reported as not.
 */
export const PUBLISH_LUA = `${ENSURE}
local function positiveInt(v)
  local n = tonumber(v)
  return n ~= nil and n >= 1 and n == math.floor(n) and n < 2^53
end
if not positiveInt(ARGV[5]) then return redis.error_reply('ERR lifeline publish: bad maxLen ' .. ARGV[5]) end
if ARGV[7] ~= '' and not positiveInt(ARGV[7]) then return redis.error_reply('ERR lifeline publish: bad dedupe TTL ' .. ARGV[7]) end
local epoch, seq = ensure(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local id = ARGV[3]
local user = ARGV[9] or ''
-- The offset a dedupe value 'epoch|offset' names in the current epoch, else nil.
local function heldOffset(prev)
  if not prev then return nil end
  local sep = string.find(prev, '|', 1, true)
  if sep and string.sub(prev, 1, sep - 1) == epoch then return tonumber(string.sub(prev, sep + 1)) end
  return nil
end
if id ~= '' then
  local held = heldOffset(redis.call('GET', KEYS[4]))
  if held then return {held, epoch, 1} end
  if user ~= '' and KEYS[5] and KEYS[5] ~= KEYS[4] then
    held = heldOffset(redis.call('GET', KEYS[5]))
    if held then
      local entry = redis.call('XRANGE', KEYS[3], held .. '-0', held .. '-0')[1]
      if entry then
        local f, u, i = entry[2], nil, nil
        for n = 1, #f - 1, 2 do
          if f[n] == 'u' then u = f[n + 1] elseif f[n] == 'i' then i = f[n + 1] end
        end
        if u == user and i == id then return {held, epoch, 1} end
      end
    end
  end
end
-- The first message: the keys a read of the empty log left to expire (READ_LUA) are kept for good.
if seq == 0 then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
end
seq = redis.call('INCR', KEYS[2])
local entryId = seq .. '-0'
local fields = {entryId, 'd', ARGV[2], 'i', id, 't', ARGV[4]}
local header = {epoch, seq, ARGV[4], id}
if user ~= '' then
  fields[#fields + 1] = 'u'
  fields[#fields + 1] = user
  header[5] = user
end
if ARGV[6] == '1' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], unpack(fields))
else
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[5], unpack(fields))
end
if id ~= '' then
  if ARGV[7] == '' then
    redis.call('SET', KEYS[4], epoch .. '|' .. seq)
  else
    redis.call('SET', KEYS[4], epoch .. '|' .. seq, 'PX', ARGV[7])
  end
end
redis.call('PUBLISH', ARGV[8], cjson.encode(header) .. '\\n' .. ARGV[2])
return {seq, epoch, 0}
`;

/** Entries per XRANGE of a read bounded by bytes (READ_LUA): what it may copy past its bound. */
const READ_BATCH = 8;

/**
 * KEYS: epoch, seq, log
 * ARGV: newEpoch, startId ('<after+1>-0'), limit, idleTtlMs (ms; '' keeps them for good),
 * maxBytes (optional; '' or absent: no byte bound)
 * Returns {epoch, head, earliest, entries}.
 *
 * With maxBytes the entries stop once their field values add up to maxBytes (at least one
 * entry is returned): read READ_BATCH at a time, so Redis copies little more than that. A
 * replay page of 200 messages of 60 KB was one 12 MB reply: 120 of them at once stalled
 * Redis past the command timeout for every client of the node, and each connection held
 * its page while its client did not read.
 *
 * The epoch and counter of a log nothing was published on (counter 0) expire `idleTtlMs`
 * after the last read (the first publish keeps them for good, PUBLISH_LUA): stored for
 * good, each name a client merely subscribed to or asked the history of left two keys in
 * Redis forever (a client cycling names: 40,000 keys for 20,000 names). Refreshed by
 * every read, so a name in use keeps its epoch; one unread that long comes back with a
 * new epoch and nothing lost (its history was empty).
 */
export const READ_LUA = `${ENSURE}
local epoch, seq = ensure(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if seq == 0 then
  if ARGV[4] == '' then
    redis.call('PERSIST', KEYS[1])
    redis.call('PERSIST', KEYS[2])
  else
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
  end
end
local earliest = seq + 1
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
if #first > 0 then
  earliest = tonumber(string.match(first[1][1], '^(%d+)'))
end
local entries = {}
local limit = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[5] or '')
if limit > 0 and maxBytes == nil then
  entries = redis.call('XRANGE', KEYS[3], ARGV[2], '+', 'COUNT', limit)
elseif limit > 0 then
  local start, bytes = ARGV[2], 0
  while #entries < limit and bytes < maxBytes do
    local batch = redis.call('XRANGE', KEYS[3], start, '+', 'COUNT', math.min(${READ_BATCH}, limit - #entries))
    if #batch == 0 then break end
    for _, e in ipairs(batch) do
      if bytes >= maxBytes then break end
      entries[#entries + 1] = e
      for i = 2, #e[2], 2 do bytes = bytes + #e[2][i] end
    end
    start = (tonumber(string.match(batch[#batch][1], '^(%d+)')) + 1) .. '-0'
  end
end
return {epoch, seq, earliest, entries}
`;

/**
 * Rotation after Redis lost acknowledged writes (an AOF `everysec` crash, an RDB restore,
 * a failover to a replica that lagged): the channel came back with the same epoch and a
 * lower counter, so the next publishes would reuse offsets that already named other
 * messages. A node that notices (redisBroker.ts, redisLiveFeed.ts) calls this; it is a
 * compare-and-set, so nodes noticing at once rotate once and a stale request is a no-op.
 *
 * It starts a new history exactly like a lost one (new epoch, counter 0, stream
 * deleted): stream entries carry no epoch of their own (the epoch key names them all),
 * so entries kept under the new epoch would be renamed, and any of them written after
 * the loss reuse offsets that named other messages before it.
 *
 * KEYS: epoch, seq, log
 * ARGV: staleEpoch, newEpoch
 * Returns the channel's epoch afterwards ('' when it has none).
 */
export const ROTATE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return cur or '' end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '0')
redis.call('DEL', KEYS[3])
return ARGV[2]
`;

// Presence: KEYS are expiry (zset `clientId \0 connId` → expiry ms), count (hash
// clientId → live entries), current (hash clientId → member JSON as announced) and
// entries (hash clientId → JSON list of [connId, member JSON] pairs, oldest enter first:
// each connection's own info, so the member's is its newest entry's). The shared sweep
// removes entries whose expiry passed and announces `leave` for a clientId whose last
// entry went, or `update` when the newest remaining entry's member differs from the one
// announced. Expiry times come from the calling node's clock, so nodes are expected
// to have roughly synchronised clocks (NTP).
const PRESENCE_SWEEP = `
local function entriesOf(cid)
  local raw = redis.call('HGET', KEYS[4], cid)
  if not raw then return {} end
  return cjson.decode(raw)
end
local function without(list, conn)
  local kept = {}
  for _, e in ipairs(list) do
    if e[1] ~= conn then kept[#kept + 1] = e end
  end
  return kept
end
local function dropEntry(field)
  if redis.call('ZREM', KEYS[1], field) == 0 then return end
  local cid, conn = string.match(field, '^(.*)%z(.*)$')
  local n = redis.call('HINCRBY', KEYS[2], cid, -1)
  if n <= 0 then
    redis.call('HDEL', KEYS[2], cid)
    redis.call('HDEL', KEYS[4], cid)
    local member = redis.call('HGET', KEYS[3], cid)
    redis.call('HDEL', KEYS[3], cid)
    if member then
      redis.call('PUBLISH', ARGV[2], '{"event":"leave","member":' .. member .. '}')
    end
    return
  end
  local kept = without(entriesOf(cid), conn)
  if #kept == 0 then
    redis.call('HDEL', KEYS[4], cid)
    return
  end
  redis.call('HSET', KEYS[4], cid, cjson.encode(kept))
  local newest = kept[#kept][2]
  if redis.call('HGET', KEYS[3], cid) ~= newest then
    redis.call('HSET', KEYS[3], cid, newest)
    redis.call('PUBLISH', ARGV[2], '{"event":"update","member":' .. newest .. '}')
  end
end
local function sweep(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
  for _, field in ipairs(dead) do dropEntry(field) end
end
`;

/**
 * ARGV: now, eventsChannel. Returns {entry fields, flat clientId/member pairs (as
 * announced), earliest expiry or '', flat clientId/entries-list pairs}.
 */
export const PRESENCE_LIST_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('HGETALL', KEYS[3]), first[2] or '', redis.call('HGETALL', KEYS[4])}
`;

/**
 * ARGV: now, eventsChannel, field, clientId, memberJson, expiresAt, keyTtlMs, refresh,
 * owner, hasUser, maxMembers.
 * An enter (`refresh` '0') makes the entry its client's newest; a refresh ('1') of an
 * entry still held only moves its expiry (its place and info stay, nothing is announced).
 * Returns 1, or 0 (nothing written) when the clientId is held by another user: `owner`
 * is the member JSON of `{clientId, user}` without its closing brace, which the announced
 * member starts with exactly when its user is the same (JSON strings are prefix-free),
 * followed by `,"user":` when it has a user and the entry (`hasUser` '0') has none.
 * Compared as text: decoding a member would fail on a `sub` holding a lone surrogate.
 * Without `owner` (a caller from before it existed) nothing is checked.
 *
 * `maxMembers` (the server's maxPresenceMembers; '' or absent: no bound) refuses a clientId
 * that is not a member yet when the channel has that many members (distinct clientIds,
 * counted after the sweep): returns {'full', count}, nothing written. Checked in the script
 * that writes: a count by a call of its own before the write let enters landing at once on
 * several nodes each see room for one more and pass the bound together. A refresh passes it
 * too once its entry is gone (expired): that refresh stores the entry again, as an enter.
 */
export const PRESENCE_SET_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
local field, cid, member = ARGV[3], ARGV[4], ARGV[5]
if ARGV[8] == '1' and redis.call('ZSCORE', KEYS[1], field) then
  redis.call('ZADD', KEYS[1], ARGV[6], field)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
  return 1
end
local maxMembers = tonumber(ARGV[11] or '')
if maxMembers and redis.call('HEXISTS', KEYS[2], cid) == 0 then
  local count = redis.call('HLEN', KEYS[2])
  if count >= maxMembers then return {'full', count} end
end
local owner = ARGV[9]
if owner and owner ~= '' then
  local held = redis.call('HGET', KEYS[3], cid)
  if held then
    local rest = string.sub(held, #owner + 1, #owner + 8)
    if string.sub(held, 1, #owner) ~= owner or (ARGV[10] ~= '1' and rest == ',"user":') then return 0 end
  end
end
if redis.call('ZADD', KEYS[1], ARGV[6], field) == 1 then
  redis.call('HINCRBY', KEYS[2], cid, 1)
end
local conn = string.match(field, '^.*%z(.*)$')
local list = without(entriesOf(cid), conn)
list[#list + 1] = {conn, member}
redis.call('HSET', KEYS[4], cid, cjson.encode(list))
local current = redis.call('HGET', KEYS[3], cid)
if not current then
  redis.call('HSET', KEYS[3], cid, member)
  redis.call('PUBLISH', ARGV[2], '{"event":"join","member":' .. member .. '}')
elseif current ~= member then
  redis.call('HSET', KEYS[3], cid, member)
  redis.call('PUBLISH', ARGV[2], '{"event":"update","member":' .. member .. '}')
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
return 1
`;

/** ARGV: now, eventsChannel, field */
export const PRESENCE_REMOVE_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
dropEntry(ARGV[3])
return 1
`;

/**
 * A node holds an entry in its presence grace (its connection closed): `heldUntil` (ms,
 * the node's clock) and `holdMs` (the whole hold) go into the entry's element of the
 * entries list, as its third and fourth items, as text (cjson would round a number). They
 * leave with the element: a removal, a sweep, or an enter from the same connection drop
 * them; a refresh (a drain's hold) keeps them. Nodes from before holds existed keep them
 * too (they copy elements whole) and read only the first two items.
 * ARGV: now, eventsChannel, field, clientId, heldUntil, holdMs. Returns 1, or 0 when the
 * entry is gone (nothing written).
 */
export const PRESENCE_HOLD_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
local field, cid = ARGV[3], ARGV[4]
if not redis.call('ZSCORE', KEYS[1], field) then return 0 end
local conn = string.match(field, '^.*%z(.*)$')
local list = entriesOf(cid)
for _, e in ipairs(list) do
  if e[1] == conn then
    e[3] = ARGV[5]
    e[4] = ARGV[6]
    redis.call('HSET', KEYS[4], cid, cjson.encode(list))
    return 1
  end
end
return 0
`;

/**
 * ARGV: now, eventsChannel, clientId. Returns {count of the client's live entries, flat
 * connId / expiry / heldUntil ('' = none) / holdMs ('' = none) of those in its entries
 * list}: fewer listed than counted means some were stored by a node from before the list.
 */
export const PRESENCE_HOLDS_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
local cid = ARGV[3]
local out = {}
for _, e in ipairs(entriesOf(cid)) do
  local expiry = redis.call('ZSCORE', KEYS[1], cid .. string.char(0) .. e[1])
  if expiry then
    out[#out + 1] = e[1]
    out[#out + 1] = expiry
    out[#out + 1] = e[3] or ''
    out[#out + 1] = e[4] or ''
  end
end
return {tonumber(redis.call('HGET', KEYS[2], cid) or '0'), out}
`;

/**
 * How many members (distinct clientIds) the channel has, and whether `clientId` is one,
 * after sweeping expired entries: the count hash holds one field per clientId with entries.
 * (The server's maxPresenceMembers is checked by PRESENCE_SET_LUA's `maxMembers` instead,
 * in the write itself: a count before the write could be passed by concurrent enters.)
 * ARGV: now, eventsChannel, clientId. Returns {count, 1 | 0}.
 */
export const PRESENCE_COUNT_LUA = `${PRESENCE_SWEEP}
sweep(ARGV[1])
return {redis.call('HLEN', KEYS[2]), redis.call('HEXISTS', KEYS[2], ARGV[3])}
`;
