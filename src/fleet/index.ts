// azcore/fleet: what the replicas of a service share over Redis or Valkey: circuit-breaker state
// (BreakerFleet) and, on one FleetConnection, the answer cache, OAuth tokens, health verdicts and a
// fleet-wide concurrency limit. The only place that loads ioredis (an optional peer dependency).
export { BreakerFleet, type BreakerFleetOptions } from './BreakerFleet.js';
export {
  fleetKeys,
  type SharedBreaker,
  type SharedBreakerState,
  TRANSITION_LUA,
} from './breakerScript.js';
export {
  FLEET_REDIS_UNAVAILABLE,
  FleetConnection,
  type FleetConnectionOptions,
} from './FleetConnection.js';
export type { FleetEvent, FleetEventType } from './FleetEvent.js';
export {
  FleetHealth,
  type FleetHealthOptions,
  type FleetHealthView,
  type FleetVerdict,
  fleetHealthCheck,
} from './FleetHealth.js';
export { FLEET_LIMIT_REACHED, FleetLimit, type FleetLimitOptions } from './FleetLimit.js';
export { RedisCacheStore, type RedisCacheStoreOptions } from './RedisCacheStore.js';
export { RedisTokenStore, type RedisTokenStoreOptions, type RefreshLease } from './RedisTokenStore.js';
export { type RefreshOnceOptions, type RefreshOutcome, refreshOnce } from './refreshOnce.js';
