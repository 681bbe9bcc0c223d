// The shared breaker record in Redis and the one script that changes it. Kept apart from the
// connection code so the keys and the compare-and-set rule can be read (and documented) in one place.
import { createHash } from 'node:crypto';

/** The states a fleet shares. `halfOpen` is derived locally from `openedAt`; `isolated` stays local. */
export type SharedBreakerState = 'open' | 'closed';

/** The shared record of one breaker key (a Redis hash). `generation` 0 means "never written". */
export interface SharedBreaker {
  state: SharedBreakerState;
  /** Epoch ms the circuit opened (only when open). */
  openedAt: number | undefined;
  generation: number;
  /** The replica that wrote it. */
  by: string;
}

/** Redis key names of a fleet under `prefix` (default `azcore:fleet:`). */
export function fleetKeys(prefix: string) {
  return {
    /** Hash: state, openedAt, generation, by. */
    // The {hash tag} puts every key of one breaker in one Redis Cluster slot, as a script needs.
    breaker: (key: string) => `${prefix}breaker:{${key}}`,
    /** String (replica id) with a TTL: the half-open probe lease. */
    probeLease: (key: string) => `${prefix}breaker:{${key}}:probe`,
    /** Integer with a TTL: failures counted fleet-wide while closed (consecutive strategy). */
    failures: (key: string) => `${prefix}breaker:{${key}}:failures`,
    /** Pub/sub channel of every breaker transition of the fleet (one subscription per replica). */
    channel: `${prefix}breaker-transitions`,
  };
}

/**
 * Compare-and-set of the shared record. KEYS[1] the hash, KEYS[2] the probe lease; ARGV: the
 * generation the writer last saw, the new state, openedAt ('' when closed), the writer, the channel,
 * the breaker key. A writer that missed a newer write (base < current) loses and gets the current
 * record back, to merge. Otherwise the generation becomes max(current, base) + 1 (monotonic even
 * after Redis lost its data), the probe lease is freed (a new state ends the probe round) and the
 * record is published. Returns {won (1|0), generation, state, openedAt, by}.
 */
export const TRANSITION_LUA = `
local current = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
local base = tonumber(ARGV[1])
if base < current then
  local s = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'by')
  return {0, current, s[1] or '', s[2] or '', s[3] or ''}
end
local generation = math.max(current, base) + 1
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'openedAt', ARGV[3], 'generation', generation, 'by', ARGV[4])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[5], cjson.encode({key = ARGV[6], state = ARGV[2], openedAt = ARGV[3], generation = generation, by = ARGV[4]}))
return {1, generation, ARGV[2], ARGV[3], ARGV[4]}
`;

/**
 * One failure seen by a replica while closed. KEYS[1] the hash, KEYS[2] the probe lease, KEYS[3] the
 * failure counter; ARGV: the threshold, the counting window (ms), openedAt if it trips (the writer's
 * now), the writer, the channel, the breaker key, the generation the writer last saw (so a record
 * Redis lost, e.g. FLUSHALL, comes back newer than any replica has seen). While the shared state is open the failure is
 * late news and counts nothing. The counter lives `window` ms from its first failure, so stray
 * failures do not add up forever; a success on a replica that had failed deletes it. When it reaches
 * the threshold the record becomes open (generation + 1), the counter and lease go, and the record
 * is published. Returns {tripped (1|0), failures, generation, state, openedAt, by}.
 */
export const FAILURE_LUA = `
local s = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'by', 'generation')
local current = tonumber(s[4] or '0')
if s[1] == 'open' then
  return {0, 0, current, s[1], s[2] or '', s[3] or ''}
end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
if n < tonumber(ARGV[1]) then
  return {0, n, current, s[1] or 'closed', s[2] or '', s[3] or ''}
end
local generation = math.max(current, tonumber(ARGV[7] or '0')) + 1
redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', ARGV[3], 'generation', generation, 'by', ARGV[4])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[5], cjson.encode({key = ARGV[6], state = 'open', openedAt = ARGV[3], generation = generation, by = ARGV[4]}))
return {1, n, generation, 'open', ARGV[3], ARGV[4]}
`;

/**
 * The half-open probe lease, granted only within the open round the asker knows. KEYS[1] the hash,
 * KEYS[2] the lease; ARGV: the holder, the TTL (ms), the generation the asker last saw. When the
 * record has moved on (another replica's probe already closed or re-opened it) the lease is refused
 * and the record comes back, so the asker merges the verdict at once instead of probing a second
 * time while the pub/sub message is on its way. Returns {granted (1|0), generation, state, openedAt, by}.
 */
export const PROBE_LEASE_LUA = `
local s = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'generation', 'by')
local current = tonumber(s[3] or '0')
if current > tonumber(ARGV[3]) then
  return {0, current, s[1] or '', s[2] or '', s[4] or ''}
end
local granted = 0
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then granted = 1 end
return {granted, current, s[1] or '', s[2] or '', s[4] or ''}
`;

/** A script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface FleetScript {
  lua: string;
  sha: string;
}

const script = (lua: string): FleetScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
export const TRANSITION_SCRIPT = script(TRANSITION_LUA);
export const FAILURE_SCRIPT = script(FAILURE_LUA);
export const PROBE_LEASE_SCRIPT = script(PROBE_LEASE_LUA);

/** The result of the failure script: did it open the circuit fleet-wide, the count, and the record. */
export interface FailureResult {
  tripped: boolean;
  failures: number;
  record: SharedBreaker | undefined;
}

export function parseFailureReply(reply: unknown): FailureResult | undefined {
  if (!Array.isArray(reply) || reply.length < 6) return undefined;
  const [tripped, failures, generation, state, openedAt, by] = reply as unknown[];
  return {
    tripped: Number(tripped) === 1,
    failures: Number(failures),
    record: toRecord({ state, openedAt, generation, by }),
  };
}

/** The answer to a probe lease request, and the record when the round has moved on. */
export interface LeaseResult {
  granted: boolean;
  record: SharedBreaker | undefined;
}

export function parseLeaseReply(reply: unknown): LeaseResult {
  if (!Array.isArray(reply) || reply.length < 5) return { granted: false, record: undefined };
  const [granted, generation, state, openedAt, by] = reply as unknown[];
  return { granted: Number(granted) === 1, record: toRecord({ state, openedAt, generation, by }) };
}

/** The result of the script: did this write win, and the record now in Redis. */
export interface TransitionResult {
  won: boolean;
  record: SharedBreaker;
}

export function parseTransitionReply(reply: unknown): TransitionResult | undefined {
  if (!Array.isArray(reply) || reply.length < 5) return undefined;
  const [won, generation, state, openedAt, by] = reply as unknown[];
  const record = toRecord({ state, openedAt, generation, by });
  return record ? { won: Number(won) === 1, record } : undefined;
}

/** A record from HGETALL, a script reply or a pub/sub message; `undefined` when empty or malformed. */
export function toRecord(raw: Record<string, unknown>): SharedBreaker | undefined {
  const state = raw.state;
  const generation = Number(raw.generation);
  if ((state !== 'open' && state !== 'closed') || !Number.isInteger(generation) || generation < 1) {
    return undefined;
  }
  const openedAt = raw.openedAt === '' || raw.openedAt == null ? undefined : Number(raw.openedAt);
  if (state === 'open' && !(openedAt !== undefined && Number.isFinite(openedAt))) return undefined;
  return {
    state,
    openedAt: state === 'open' ? openedAt : undefined,
    generation,
    by: typeof raw.by === 'string' ? raw.by : '',
  };
}

/** A pub/sub message of the fleet channel: the breaker key and its new record. */
export function parseTransitionMessage(message: string): { key: string; record: SharedBreaker } | undefined {
  try {
    const raw = JSON.parse(message) as Record<string, unknown>;
    const record = toRecord(raw);
    return record && typeof raw.key === 'string' ? { key: raw.key, record } : undefined;
  } catch {
    return undefined;
  }
}
