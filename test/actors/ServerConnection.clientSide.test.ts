import type { CallToolResult } from '@modelcontextprotocol/client';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallProgress,
  ServerConnection,
  type ServerConnectionOptions,
} from '../../src/actors/ServerConnection.js';
import type { ServerConfig } from '../../src/config/serverConfig.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { createSamplingHandler } from '../../src/llm/samplingHandler.js';
import type { ElicitationHandler, ElicitRequestParams } from '../../src/protocol/serverRequests.js';
import { type HttpFixture, startV2HttpFixture, stopAllFixtures, v2StdioFixture } from '../fixtures/index.js';
import { quietLogger, record } from './connectionTestKit.js';

const open: ServerConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

let http2026: HttpFixture;
let httpDual: HttpFixture;
beforeAll(async () => {
  [http2026, httpDual] = await Promise.all([
    startV2HttpFixture({ era: '2026' }),
    startV2HttpFixture({ era: 'dual' }),
  ]);
});
afterAll(stopAllFixtures);

interface Setup {
  label: string;
  era: 'modern' | 'legacy';
  config(): ServerConfig;
}

const base = { name: 'fx', connectTimeoutMs: 6_000 } as const;
/** Where server->client requests work: the 2026 era over both transports, the 2025 era over stdio. */
const withReturnPath: Setup[] = [
  {
    label: '2026-07-28 over stdio',
    era: 'modern',
    config: () => ({ ...base, transport: 'stdio', ...v2StdioFixture({ era: '2026' }) }),
  },
  {
    label: '2026-07-28 over Streamable HTTP',
    era: 'modern',
    config: () => ({ ...base, transport: 'streamableHttp', url: http2026.url.href }),
  },
  {
    label: '2025 over stdio (dual server, legacy pin)',
    era: 'legacy',
    config: () => ({
      ...base,
      transport: 'stdio',
      ...v2StdioFixture({ era: 'dual' }),
      protocolVersion: 'legacy',
    }),
  },
];
/** Plus 2025 over Streamable HTTP, served statelessly: no server->client requests, but notifications. */
const everyEra: Setup[] = [
  ...withReturnPath,
  {
    label: '2025 over Streamable HTTP (dual server, legacy pin)',
    era: 'legacy',
    config: () => ({
      ...base,
      transport: 'streamableHttp',
      url: httpDual.url.href,
      protocolVersion: 'legacy',
    }),
  },
];

async function start(
  setup: Setup,
  extra: Partial<ServerConnectionOptions> & { roots?: ServerConfig['roots'] } = {},
) {
  const { roots, ...options } = extra;
  const conn = new ServerConnection({
    config: { ...setup.config(), ...(roots ? { roots } : {}) } as ServerConfig,
    logger: quietLogger,
    ...options,
  });
  open.push(conn);
  await conn.start();
  expect(conn.protocol?.era).toBe(setup.era);
  return conn;
}
const text = (r: CallToolResult) => (r.content[0] as { text?: string } | undefined)?.text ?? '';
const json = (r: CallToolResult) => JSON.parse(text(r)) as unknown;
const NAME_SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };

describe.each(withReturnPath)('elicitation, $label', (setup) => {
  it('a form is answered by the handler, and the tool receives its answer', async () => {
    const seen: { request: ElicitRequestParams; server: string }[] = [];
    const elicitation: ElicitationHandler = async (request, { server }) => {
      seen.push({ request, server });
      return { action: 'accept', content: { name: 'Ada' } };
    };
    const conn = await start(setup, { elicitation });
    const rec = record(conn);
    const result = await conn.callTool('ask', { message: 'Who are you?' });
    expect(result.isError).not.toBe(true);
    expect(json(result)).toEqual({ action: 'accept', content: { name: 'Ada' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      server: 'fx',
      request: { message: 'Who are you?', requestedSchema: NAME_SCHEMA },
    });
    expect(seen[0]?.request.mode ?? 'form').toBe('form');
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({
        method: 'elicitation/create',
        mode: 'form',
        outcome: 'accept',
        defaulted: false,
      }),
    ]);
  });

  it('a URL is shown to the handler, and the tool receives its answer', async () => {
    const seen: ElicitRequestParams[] = [];
    const conn = await start(setup, {
      elicitation: async (request) => {
        seen.push(request);
        return { action: 'accept' };
      },
    });
    const rec = record(conn);
    const result = await conn.callTool('ask_url', { url: 'https://example.com/consent' });
    expect(json(result)).toEqual({ action: 'accept' });
    expect(seen).toEqual([
      expect.objectContaining({ mode: 'url', url: 'https://example.com/consent', message: 'Open this page' }),
    ]);
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({
        method: 'elicitation/create',
        mode: 'url',
        outcome: 'accept',
        defaulted: false,
      }),
    ]);
  });

  it('without a handler, forms and URLs are declined at once, each with a defaulted server.request event', async () => {
    const conn = await start(setup);
    const rec = record(conn);
    // A short budget: the call would time out if the elicitation waited on anyone.
    expect(json(await conn.callTool('ask', {}, { timeout: 3_000 }))).toEqual({
      action: 'decline',
      content: null,
    });
    expect(json(await conn.callTool('ask_url', {}, { timeout: 3_000 }))).toEqual({ action: 'decline' });
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({
        method: 'elicitation/create',
        mode: 'form',
        outcome: 'decline',
        defaulted: true,
      }),
      expect.objectContaining({
        method: 'elicitation/create',
        mode: 'url',
        outcome: 'decline',
        defaulted: true,
      }),
    ]);
  });

  it('a handler that throws: the event says failed, the call settles, and the breaker does not blame the server', async () => {
    const conn = await start(setup, {
      elicitation: async () => {
        throw new Error('the form could not be shown');
      },
      breaker: { strategy: { kind: 'consecutive', threshold: 1 } },
    });
    const rec = record(conn);
    const settled = await conn.callTool('ask', {}, { timeout: 5_000 }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({
        method: 'elicitation/create',
        mode: 'form',
        outcome: 'failed',
        defaulted: false,
      }),
    ]);
    if (setup.era === 'legacy') {
      // 2025: the failure is the JSON-RPC answer to the server, whose tool reports it.
      expect('result' in settled && settled.result.isError).toBe(true);
      expect('result' in settled && text(settled.result)).toMatch(/the form could not be shown/);
    } else {
      // 2026: the client fulfils the input round itself, so the call fails here, typed as a tool failure.
      expect('error' in settled && settled.error).toMatchObject({
        kind: 'tool',
        code: 'ELICITATION_HANDLER_FAILED',
        server: 'fx',
        message: expect.stringMatching(/the form could not be shown/),
      });
    }
    expect(conn.breaker.state).toBe('closed');
    expect(text(await conn.callTool('echo', { text: 'still served' }))).toBe('still served');
  });
});

describe.each(withReturnPath)('sampling and roots, $label', (setup) => {
  it('sampling: the tool replies the text of the team model', async () => {
    const model = new ScriptedChatModel([{ content: 'a sampled answer' }]);
    const conn = await start(setup, { sampling: createSamplingHandler(model) });
    const rec = record(conn);
    expect(text(await conn.callTool('sample', { prompt: 'Say something nice' }))).toBe('a sampled answer');
    expect(String(model.calls[0]?.messages.at(-1)?.content)).toBe('Say something nice');
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({ method: 'sampling/createMessage', outcome: 'answered', defaulted: false }),
    ]);
  });

  it('sampling: once the token budget is spent, a request is refused', async () => {
    const model = new ScriptedChatModel([{ content: 'first' }, { content: 'second' }]);
    const conn = await start(setup, {
      sampling: createSamplingHandler(model, { budgetTokens: 1 }),
      breaker: { strategy: { kind: 'consecutive', threshold: 1 } },
    });
    const rec = record(conn);
    expect(text(await conn.callTool('sample'))).toBe('first');
    const second = await conn.callTool('sample').then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    if (setup.era === 'legacy') {
      expect('result' in second && second.result.isError).toBe(true);
      expect('result' in second && text(second.result)).toMatch(/sampling budget of 1 tokens is spent/);
    } else {
      expect('error' in second && second.error).toMatchObject({
        kind: 'tool',
        code: 'SAMPLING_BUDGET',
        message: expect.stringMatching(/sampling budget of 1 tokens is spent/),
      });
    }
    expect(model.calls).toHaveLength(1);
    expect(rec.ofType('server.request').map((e) => e.outcome)).toEqual(['answered', 'failed']);
    expect(conn.breaker.state).toBe('closed');
  });

  it('roots: the tool gets the roots of the config', async () => {
    const roots = [{ uri: 'file:///srv/data', name: 'data' }, { uri: 'file:///tmp/scratch' }];
    const conn = await start(setup, { roots });
    const rec = record(conn);
    expect(json(await conn.callTool('roots'))).toEqual(roots);
    expect(rec.ofType('server.request')).toEqual([
      expect.objectContaining({ method: 'roots/list', outcome: 'answered' }),
    ]);
  });
});

describe.each(everyEra)('progress, output schema and list_changed, $label', (setup) => {
  it('onProgress is called once per step', async () => {
    const conn = await start(setup);
    const steps: CallProgress[] = [];
    const result = await conn.callTool(
      'progress',
      { steps: 3, ms: 50 },
      { onProgress: (p) => steps.push(p) },
    );
    expect(text(result)).toBe('progressed 3');
    expect(steps).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  });

  it('resetTimeoutOnProgress: a call longer than its timeout succeeds while each step is well under it', async () => {
    const conn = await start(setup);
    // 5 steps of 300 ms: 1 500 ms in all against a 1 000 ms timeout.
    const args = { steps: 5, ms: 300 };
    const renewed = await conn.callTool('progress', args, { timeout: 1_000, resetTimeoutOnProgress: true });
    expect(text(renewed)).toBe('progressed 5');
    await expect(conn.callTool('progress', args, { timeout: 1_000 })).rejects.toMatchObject({
      kind: 'timeout',
      server: 'fx',
    });
  });

  it('outputSchema: after listTools, structured content that does not match is a ToolError; matching content resolves', async () => {
    const conn = await start(setup);
    await conn.listTools();
    await expect(conn.callTool('structured', { valid: false })).rejects.toMatchObject({
      kind: 'tool',
      code: 'OUTPUT_SCHEMA_MISMATCH',
      server: 'fx',
    });
    const good = await conn.callTool('structured', { valid: true });
    expect(good.structuredContent).toEqual({ n: 42 });
  });

  it('list_changed: add_tool announces a change, a tools.changed event follows and listTools has the new tool', async () => {
    const conn = await start(setup);
    const before = await conn.listTools();
    const name = `added_${setup.era}_${Math.random().toString(36).slice(2, 8)}`;
    const changed = firstValueFrom(conn.events$.pipe(filter((e) => e.type === 'tools.changed')));
    await conn.callTool('add_tool', { name });
    expect(await changed).toMatchObject({ type: 'tools.changed', server: 'fx', tools: before.length + 1 });
    expect((await conn.listTools()).map((t) => t.name)).toContain(name);
    expect(text(await conn.callTool(name))).toBe(`tool ${name}`);
  });

  it('list_changed: a burst of 50 announcements is coalesced into one or two refreshes', async () => {
    // One call announces 50 times back to back (the fixture writes them in one go), so the burst
    // arrives within the debounce window however loaded the machine is.
    const conn = await start(setup);
    const before = await conn.listTools();
    const rec = record(conn);
    const name = `burst_${Math.random().toString(36).slice(2, 8)}`;
    const refreshed = firstValueFrom(
      conn.events$.pipe(filter((e) => e.type === 'tools.changed' && e.tools >= before.length + 1)),
    );
    await conn.callTool('add_tool', { name, announce: 50 });
    await refreshed;
    const refreshes = rec.ofType('tools.changed').length;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(2);
    expect((await conn.listTools()).map((t) => t.name)).toContain(name);
  });
});

describe('list_changed from outside a call (2026-07-28 over Streamable HTTP)', () => {
  it('/__admin/tools-changed reaches the open subscriptions/listen stream: a tools.changed event', async () => {
    const conn = await start(withReturnPath[1]!);
    const before = await conn.listTools();
    const changed = firstValueFrom(conn.events$.pipe(filter((e) => e.type === 'tools.changed')));
    await http2026.admin('/__admin/tools-changed');
    expect(await changed).toMatchObject({ server: 'fx', tools: before.length });
  });
});
