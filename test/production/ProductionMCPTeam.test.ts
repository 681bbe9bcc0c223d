import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTeamBuildError } from '../../src/errors/TeamBuildError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { cacheKeyOf } from '../../src/fallback/cached.js';
import { MemoryCacheStore } from '../../src/fallback/MemoryCacheStore.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import type { Attempt } from '../../src/policy/Outcome.js';
import { ProductionMCPTeam } from '../../src/production/ProductionMCPTeam.js';
import { quietLogger, reach } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const DEAD_URL = 'http://127.0.0.1:9/mcp';
const noWait = () => 0;
/** `source:attempt:ok|code` per attempt, in order. */
const tries = (attempts: readonly Attempt[]) =>
  attempts.map((a) => `${a.source}:${a.attempt ?? '-'}:${a.ok ? 'ok' : a.error?.kind}`);

describe('ProductionMCPTeam over a real server and a dead optional one', () => {
  let prod: ProductionMCPTeam;
  const events: RuntimeEvent[] = [];

  beforeAll(async () => {
    const fx = stdioFixture();
    prod = await ProductionMCPTeam.create({
      name: 'production_team',
      llm: new RuleBasedChatModel(),
      servers: [
        { name: 'files', transport: 'stdio', command: fx.command, args: fx.args },
        {
          name: 'search',
          transport: 'streamableHttp',
          url: DEAD_URL,
          optional: true,
          connectTimeoutMs: 2_000,
        },
      ],
      maxRetries: 1,
      breaker: { threshold: 20 },
      taskBreaker: { threshold: 3, resetTimeoutMs: 60_000 },
      health: { intervalMs: 0 },
      cache: true,
      fallback: (task, error) => {
        if (task.includes('critical')) throw new Error('no fallback for critical work');
        return `Fallback answer (${error.kind}): try again later.`;
      },
      logger: quietLogger,
    });
    prod.events$.subscribe((e) => events.push(e));
  });
  afterAll(() => prod.close());

  it('a live answer while the optional server is down: degraded from the team, the reason names it', async () => {
    const outcome = await prod.execute('Echo it.\nuse: files__echo {"text":"hello production"}');
    expect(outcome).toMatchObject({ status: 'degraded', source: 'team', error: { kind: 'connection' } });
    if (outcome.status !== 'degraded') return;
    expect(outcome.value.answer).toMatch(/hello production/);
    expect(outcome.value.toolFailures).toEqual([]);
    expect(outcome.reasons).toEqual([expect.stringMatching(/^optional server search unavailable \(/)]);
    expect(tries(outcome.attempts)).toEqual(['team:1:ok']);
    expect(prod.breaker.state).toBe('closed');
  });

  it('degraded: a server dies under a tool call; the team still answers and says so', async () => {
    const outcome = await prod.execute('Crash it.\nuse: files__crash {}');
    expect(outcome).toMatchObject({ status: 'degraded', source: 'team' });
    if (outcome.status !== 'degraded') return;
    expect(outcome.value.toolFailures.map((f) => [f.tool, f.server, f.error.kind])).toEqual([
      ['files__crash', 'files', 'connection'],
    ]);
    expect(outcome.reasons[0]).toMatch(/^tool files__crash failed: connection /);
    expect(outcome.error).toBe(outcome.value.toolFailures[0]?.error);
    expect(outcome.value.answer).toBeTruthy();
    await reach(prod.team.getServer('files')!, 'ready');
  });

  it('a failed task is answered from the cache of its last answer', async () => {
    const task = 'Slow one.\nuse: files__slow {"ms":250}';
    expect(await prod.execute(task)).toMatchObject({ source: 'team', value: { toolFailures: [] } });
    const outcome = await prod.execute(task, { timeoutMs: 60, maxRetries: 0 });
    expect(outcome).toMatchObject({ status: 'degraded', source: 'cache', error: { kind: 'timeout' } });
    if (outcome.status !== 'degraded') return;
    expect(outcome.reasons).toEqual([`team failed: timeout ${outcome.error.code}`]);
    expect(tries(outcome.attempts)).toEqual(['team:1:timeout', 'cache:-:ok']);
    expect(outcome.value.answer).toMatch(/slept 250/);
    expect(outcome.ageMs).toBeGreaterThanOrEqual(0);
  });

  it('retries, then answers with the fallback; with no fallback it fails with a typed reason', async () => {
    const answered = await prod.execute('Hang.\nuse: files__hang {}', { timeoutMs: 100, backoff: noWait });
    expect(answered).toMatchObject({
      status: 'degraded',
      source: 'fallback',
      value: { answer: 'Fallback answer (timeout): try again later.', messages: [], toolFailures: [] },
      error: { kind: 'timeout' },
    });
    expect(tries(answered.attempts)).toEqual([
      'team:1:timeout',
      'team:2:timeout',
      'cache:-:resource',
      'fallback:-:ok',
    ]);
    const failed = await prod.execute('A critical hang.\nuse: files__hang {}', {
      timeoutMs: 100,
      backoff: noWait,
    });
    expect(failed).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
    expect(tries(failed.attempts)).toEqual([
      'team:1:timeout',
      'team:2:timeout',
      'cache:-:resource',
      'fallback:-:protocol',
    ]);
    expect(failed.error?.message).toMatch(/budget/);
    expect(failed.reasons?.at(-1)).toMatch(/^fallback failed: protocol /);
  });

  it('the task breaker opens after consecutive failed tasks: the next one fails fast', async () => {
    expect(prod.breaker.state).toBe('open');
    const outcome = await prod.execute('A critical echo.\nuse: files__echo {"text":"x"}');
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'circuitOpen' } });
    expect(tries(outcome.attempts)).toEqual([
      'team:1:circuitOpen',
      'cache:-:resource',
      'fallback:-:protocol',
    ]);
    expect(outcome.attempts[0]?.durationMs).toBe(0);
    expect(outcome.error?.message).toMatch(/task:production_team/);
    expect(events.filter((e) => e.type === 'breaker.transition' && e.to === 'open')).toHaveLength(1);
  });

  it('getStatus: health with detail, metrics from events, breakers and tools', async () => {
    const status = await prod.getStatus();
    expect(status.health?.status).toBe('degraded');
    expect(status.health?.checks.servers?.detail).toMatch(/optional servers unavailable: search/);
    expect(status.circuitBreaker).toBe('open');
    expect(status.breakers).toEqual({ files: 'closed', search: 'closed' });
    expect(status.tools).toContain('files__echo');
    const tasks = status.metrics.series.find((s) => s.operation === 'task_execution');
    expect(tasks).toMatchObject({
      count: 7,
      successes: 3,
      failures: 4,
      errors: { timeout: 3, circuitOpen: 1 },
    });
    expect(status.metrics.breakers['task:production_team']).toEqual({ state: 'open', openings: 1 });
    expect(status.metrics.servers.files?.reconnects).toBe(1);
    expect(events.some((e) => e.type === 'health.checked')).toBe(true);
    const health = events.filter((e) => e.type === 'health.checked');
    expect(health.at(-1)).toMatchObject({ source: 'health:production_team', status: 'degraded' });
  });

  it('after close, execute reports a typed failure and close is idempotent', async () => {
    await Promise.all([prod.close(), prod.close()]);
    const outcome = await prod.execute('anything');
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { kind: 'connection', code: 'CLOSED' },
      attempts: [],
    });
    expect(outcome.error?.message).toMatch(/is closed/);
    expect(outcome.reasons).toEqual(['stopped: connection CLOSED']);
    expect(prod.team.state).toBe('closed');
  });
});

describe('ProductionMCPTeam with every server up', () => {
  it('success from the team; only answers without a failed tool call are cached', async () => {
    const fx = stdioFixture();
    const store = new MemoryCacheStore();
    const prod = await ProductionMCPTeam.create({
      name: 'all_up',
      llm: new RuleBasedChatModel(),
      servers: [{ name: 'files', transport: 'stdio', command: fx.command, args: fx.args }],
      health: { intervalMs: 0 },
      cache: { store },
      logger: quietLogger,
    });
    try {
      const cachedAs = (task: string) => store.get(cacheKeyOf(task, 'production:all_up'), Date.now());
      const echo = 'Echo.\nuse: files__echo {"text":"all up"}';
      const outcome = await prod.execute(echo);
      expect(outcome).toMatchObject({ status: 'success', source: 'team', value: { team: 'all_up' } });
      expect(outcome.reasons).toBeUndefined();
      expect(cachedAs(echo)).toBeDefined();

      const broken = 'Fail.\nuse: files__fail {"message":"no such row"}';
      expect(await prod.execute(broken)).toMatchObject({ status: 'degraded', source: 'team' });
      expect(cachedAs(broken)).toBeUndefined();
      expect(store.size()).toBe(1);
    } finally {
      await prod.close();
    }
    expect(store.size()).toBe(1); // a store passed in stays open and is not cleared
  });

  it('policy(task) composes with team.run like any policy', async () => {
    const fx = stdioFixture();
    const prod = await ProductionMCPTeam.create({
      name: 'composed',
      llm: new RuleBasedChatModel(),
      servers: [{ name: 'files', transport: 'stdio', command: fx.command, args: fx.args }],
      health: { intervalMs: 0 },
      fallback: () => 'from the fallback',
      logger: quietLogger,
    });
    try {
      const outcome = await prod.team.run('Hang.\nuse: files__hang {}', {
        policy: prod.policy('Hang.', { maxRetries: 0 }),
        timeoutMs: 100,
      });
      expect(outcome).toMatchObject({
        status: 'degraded',
        source: 'fallback',
        value: { answer: 'from the fallback' },
      });
      expect(tries(outcome.attempts)).toEqual(['team:1:timeout', 'fallback:-:ok']);
    } finally {
      await prod.close();
    }
  });
});

describe('ProductionMCPTeam.create', () => {
  it('rejects bad numbers with a ConfigurationError naming the field', async () => {
    const error = await ProductionMCPTeam.create({ name: 'p', servers: [], maxRetries: -1 }).catch(
      (e: unknown) => e,
    );
    expect(isConfigurationError(error)).toBe(true);
    expect(String(error)).toMatch(/maxRetries must be a whole number >= 0/);
    const ttl = await ProductionMCPTeam.create({ name: 'p', servers: [], cache: { ttlMs: 0 } }).catch(
      (e: unknown) => e,
    );
    expect(isConfigurationError(ttl)).toBe(true);
    expect(String(ttl)).toMatch(/cache\.ttlMs must be a number of ms > 0, got 0/);
  });

  it('a required server that cannot connect fails the build (mcpServers JSON form)', async () => {
    const error = await ProductionMCPTeam.create({
      name: 'p',
      llm: new RuleBasedChatModel(),
      servers: JSON.stringify({ mcpServers: { search: { url: DEAD_URL, connectTimeoutMs: 2_000 } } }),
      logger: quietLogger,
    }).catch((e: unknown) => e);
    expect(isTeamBuildError(error)).toBe(true);
    expect(String(error)).toMatch(/search/);
  });
});
