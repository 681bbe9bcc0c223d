// azcore/fleet: circuit-breaker state shared by the replicas of a service over Redis or Valkey.
// The only place that loads ioredis (an optional peer dependency); the rest of azcore never does.
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
