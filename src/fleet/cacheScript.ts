// The answer cache in Redis: one string per entry (JSON, PX = its TTL) and a sorted set ordering the
// entries by last use, so the bound of the CacheStore contract (least recently used go first) holds
// fleet-wide. Every key of one cache shares a {hash tag}: one Redis Cluster slot, as a script needs.
import { createHash } from 'node:crypto';
import type { FleetScript } from './breakerScript.js';

/** Redis key names of the cache `name` under `prefix`. */
export function cacheKeys(prefix: string, name: string) {
  const base = `${prefix}cache:{${name}}:`;
  return {
    /** Prefix of the entry strings; the entry key (a sha256 from CachedFallback.keyFor) follows. */
    entry: `${base}e:`,
    /** Sorted set: entry key -> use sequence number. */
    lru: `${base}lru`,
    /** Integer: the last use sequence number. */
    seq: `${base}seq`,
  };
}

const script = (lua: string): FleetScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * KEYS: lru, seq. ARGV: entry prefix, key, JSON, TTL ms, maxEntries. Stores the entry with PX, marks
 * it used, then drops what is over the bound: first members whose entry Redis already expired,
 * then the least recently used.
 */
export const CACHE_SET = script(`
local entry = ARGV[1] .. ARGV[2]
redis.call('SET', entry, ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[2])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if over > 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if over <= 0 then break end
    if redis.call('EXISTS', ARGV[1] .. m) == 0 then
      redis.call('ZREM', KEYS[1], m)
      over = over - 1
    end
  end
  if over > 0 then
    local victims = redis.call('ZPOPMIN', KEYS[1], over)
    for i = 1, #victims, 2 do redis.call('DEL', ARGV[1] .. victims[i]) end
  end
end
return 1
`);

/** KEYS: lru, seq. ARGV: entry prefix, key. The entry's JSON (a hit counts as a use), or nil. */
export const CACHE_GET = script(`
local v = redis.call('GET', ARGV[1] .. ARGV[2])
if not v then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return false
end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[2])
return v
`);

/** KEYS: lru. ARGV: entry prefix, key. 1 when an entry was there. */
export const CACHE_DELETE = script(`
redis.call('ZREM', KEYS[1], ARGV[2])
return redis.call('DEL', ARGV[1] .. ARGV[2])
`);

/** KEYS: lru, seq. ARGV: entry prefix. Deletes every entry of the cache. */
export const CACHE_CLEAR = script(`
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do redis.call('DEL', ARGV[1] .. m) end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`);

/** KEYS: lru. ARGV: entry prefix. Entries held (members whose entry Redis expired are dropped first). */
export const CACHE_SIZE = script(`
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('EXISTS', ARGV[1] .. m) == 1 then n = n + 1 else redis.call('ZREM', KEYS[1], m) end
end
return n
`);
