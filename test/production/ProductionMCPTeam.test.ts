import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTeamBuildError } from '../../src/errors/TeamBuildError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { ProductionMCPTeam } from '../../src/production/ProductionMCPTeam.js';
import { quietLogger, reach } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

const DEAD_URL = 'http://127.0.0.1:9/mcp';
const noWait = () => 0;

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

  it('success: the answer, the tools used, one attempt, and which servers were missing', async () => {
    const result = await prod.execute('Echo it.\nuse: files__echo {"text":"hello production"}');
    expect(result).toMatchObject({
      status: 'success',
      metadata: {
        circuitState: 'closed',
        toolsUsed: ['files__echo'],
        failedTools: [],
        attempts: 1,
        source: 'team',
        unavailableServers: ['search'],
        reasons: [],
      },
    });
    expect(result.result).toMatch(/hello production/);
    expect(result.error).toBeUndefined();
  });

  it('degraded: a server dies under a tool call; the team still answers and says so', async () => {
    const result = await prod.execute('Crash it.\nuse: files__crash {}');
    expect(result.status).toBe('degraded');
    expect(result.metadata.failedTools).toEqual([
      { tool: 'files__crash', kind: 'connection', serverFault: true },
    ]);
    expect(result.metadata.reasons[0]).toBe(
      'tool files__crash failed (connection): its server did not answer',
    );
    expect(result.result).toBeTruthy();
    await reach(prod.team.getServer('files')!, 'ready');
  });

  it('a failed task is answered from the cache of its last success', async () => {
    const task = 'Slow one.\nuse: files__slow {"ms":250}';
    expect((await prod.execute(task)).status).toBe('success');
    const result = await prod.execute(task, { timeoutMs: 60, maxRetries: 0 });
    expect(result).toMatchObject({
      status: 'degraded',
      errorType: 'timeout',
      metadata: {
        source: 'cache',
        attempts: 1,
        reasons: ['answered from the cache after a timeout failure'],
      },
    });
    expect(result.result).toMatch(/slept 250/);
  });

  it('retries, then answers with the fallback; with no fallback it fails with a typed reason', async () => {
    const fallback = await prod.execute('Hang.\nuse: files__hang {}', { timeoutMs: 100, backoff: noWait });
    expect(fallback).toMatchObject({
      status: 'degraded',
      result: 'Fallback answer (timeout): try again later.',
      errorType: 'timeout',
      metadata: { source: 'fallback', attempts: 2 },
    });
    const failed = await prod.execute('A critical hang.\nuse: files__hang {}', {
      timeoutMs: 100,
      backoff: noWait,
    });
    expect(failed).toMatchObject({
      status: 'failed',
      errorType: 'timeout',
      metadata: { source: 'none', attempts: 2 },
    });
    expect(failed.error).toMatch(/budget/);
    expect(failed.result).toBeUndefined();
  });

  it('the task breaker opens after consecutive failed tasks: the next one fails fast', async () => {
    expect(prod.breaker.state).toBe('open');
    const result = await prod.execute('A critical echo.\nuse: files__echo {"text":"x"}');
    expect(result).toMatchObject({
      status: 'failed',
      errorType: 'circuitOpen',
      metadata: { attempts: 0, circuitState: 'open' },
    });
    expect(result.error).toMatch(/task:production_team/);
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
    const result = await prod.execute('anything');
    expect(result).toMatchObject({ status: 'failed', errorType: 'connection' });
    expect(result.error).toMatch(/is closed/);
    expect(prod.team.state).toBe('closed');
  });
});

describe('ProductionMCPTeam.create', () => {
  it('rejects bad numbers with a ConfigurationError naming the field', async () => {
    const error = await ProductionMCPTeam.create({ name: 'p', servers: [], maxRetries: -1 }).catch(
      (e: unknown) => e,
    );
    expect(isConfigurationError(error)).toBe(true);
    expect(String(error)).toMatch(/maxRetries must be a whole number >= 0/);
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
