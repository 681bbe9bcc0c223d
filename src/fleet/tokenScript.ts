// The OAuth token store in Redis: one hash per resource (field = the credential key as JSON, value =
// the record as JSON), a set of the resources (for `list`), and a lease per credential for the
// single-flight refresh. Every key of one store shares a {hash tag}: one Redis Cluster slot.
import { createHash } from 'node:crypto';
import type { FleetScript } from './breakerScript.js';

/** Redis key names of the token store `name` under `prefix`. */
export function tokenKeys(prefix: string, name: string) {
  const base = `${prefix}tokens:{${name}}:`;
  return {
    /** Hash of one resource's records. */
    resource: (resource: string) => `${base}r:${resource}`,
    /** Hash of one resource's removed credentials: field -> removal time (a record Redis merely lost has none). */
    removed: (resource: string) => `${base}gone:${resource}`,
    /** Set of the resources that have records. */
    resources: `${base}resources`,
    /** String (holder) with a TTL: who refreshes this credential now. */
    lease: (credential: string) => `${base}lease:${credential}`,
    /** Prefix of the resource hashes, for the scripts. */
    resourcePrefix: `${base}r:`,
  };
}

const script = (lua: string): FleetScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * KEYS: the resource hash, the resources set, the removed hash. ARGV: field, record JSON, resource,
 * updatedAt, '1' to write only over an older record and never over a removal (a resync), '0' to
 * replace. 1 when written.
 */
export const TOKEN_SAVE = script(`
if ARGV[5] == '1' then
  if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
  local current = redis.call('HGET', KEYS[1], ARGV[1])
  if current then
    local ok, record = pcall(cjson.decode, current)
    if ok and tonumber(record.updatedAt) and tonumber(record.updatedAt) >= tonumber(ARGV[4]) then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
`);

/** KEYS: the resource hash, the removed hash. The records' JSON and the removed fields. */
export const TOKEN_FIND = script(`
return {redis.call('HVALS', KEYS[1]), redis.call('HKEYS', KEYS[2])}
`);

/**
 * KEYS: the resource hash, the resources set, the removed hash. ARGV: resource, '1'|'0' match the
 * issuer, issuer, '1'|'0' match the client id, client id, now. Deletes the matching records and
 * leaves a removal mark for each (so no replica's mirror writes it back); returns how many.
 */
export const TOKEN_REMOVE = script(`
local n = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local ok, key = pcall(cjson.decode, field)
  if ok and (ARGV[2] == '0' or key[1] == ARGV[3]) and (ARGV[4] == '0' or key[3] == ARGV[5]) then
    redis.call('HDEL', KEYS[1], field)
    redis.call('HSET', KEYS[3], field, ARGV[6])
    n = n + 1
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return n
`);

/** KEYS: the resources set. ARGV: the resource hash prefix. Every record JSON of the store. */
export const TOKEN_LIST = script(`
local out = {}
for _, resource in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  for _, v in ipairs(redis.call('HVALS', ARGV[1] .. resource)) do out[#out + 1] = v end
end
return out
`);

/** KEYS: the lease. ARGV: the holder. Deletes the lease if this holder still has it. */
export const LEASE_RELEASE = script(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
);
