import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { CacheStore } from '../fallback/CacheStore.js';
import { cached } from '../fallback/cached.js';
import { MemoryCacheStore } from '../fallback/MemoryCacheStore.js';
import { SqliteCacheStore } from '../fallback/SqliteCacheStore.js';
import type { FallbackSource } from '../policy/FallbackSource.js';
import { teamAnswerCodec } from '../team/teamAnswerCodec.js';
import type { TeamAnswer } from '../team/teamRun.js';
import type { ProductionConfig } from './productionConfig.js';

const HOUR = 3_600_000;

/** The store behind a preset's answer cache, and whether the preset opened it (then it closes it too). */
export interface AnswerStore {
  store: CacheStore;
  owned: boolean;
  ttlMs: number;
  namespace: string;
}

/** The store a config's `cache` asks for (checked now), or undefined when it asks for none. */
export function openAnswerStore(config: ProductionConfig): AnswerStore | undefined {
  const option = config.cache;
  if (!option) return undefined;
  const { store, ttlMs = HOUR, maxEntries } = option === true ? {} : option;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new ConfigurationError(`cache.ttlMs must be a number of ms > 0, got ${ttlMs}.`);
  }
  const bound = maxEntries === undefined ? {} : { maxEntries };
  const namespace = `production:${config.name}`;
  if (store === undefined) return { store: new MemoryCacheStore(bound), owned: true, ttlMs, namespace };
  if (typeof store === 'string') {
    return { store: new SqliteCacheStore({ path: store, ...bound }), owned: true, ttlMs, namespace };
  }
  return { store, owned: false, ttlMs, namespace };
}

/**
 * The `cached` fallback source of one task: serves its last answer after a failure, and stores
 * only answers whose turn had no failed tool call (an answer made around a broken tool is not worth
 * serving again).
 */
export function answerCache(answers: AnswerStore, task: string): FallbackSource<TeamAnswer> {
  const { store, ttlMs, namespace } = answers;
  const source = cached(store, { key: task, ttlMs, namespace, codec: teamAnswerCodec });
  return {
    name: source.name,
    answer: (error, ctx) => source.answer(error, ctx),
    remember: async (value, ctx) =>
      (value as TeamAnswer).toolFailures.length === 0 ? source.remember?.(value, ctx) : undefined,
  };
}
