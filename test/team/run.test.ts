import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { ScriptedChatModel, type ScriptTurn } from '../../src/llm/ScriptedChatModel.js';
import { fallback } from '../../src/policy/fallback.js';
import { retry } from '../../src/policy/retry.js';
import { staticValue } from '../../src/policy/staticValue.js';
import { timeout } from '../../src/policy/timeout.js';
import { wrap } from '../../src/policy/wrap.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture, stopAllFixtures } from '../fixtures/index.js';

const teams: MCPTeam[] = [];
afterEach(async () => {
  await Promise.all(teams.splice(0).map((t) => t.cleanup()));
});
afterAll(stopAllFixtures);

/** A team over one fixture server `files` (plus `spare`, optional and dead, when asked), on a simulated clock. */
async function team(script: ScriptTurn[], options: { deadSpare?: boolean } = {}) {
  const clock = new SimulatedClock();
  const fx = stdioFixture();
  let b = new MCPTeamBuilder('runner')
    .withLlm(new ScriptedChatModel(script))
    .withLogger(quietLogger)
    .withClock(clock)
    .withMcpServer(fx.command, fx.args, { name: 'files' });
  if (options.deadSpare) {
    const dead = stdioFixture({ faults: ['exit-immediately'] });
    b = b.withMcpServer(dead.command, dead.args, { name: 'spare', optional: true }).skipFailedServers(true);
  }
  const t = await b.build();
  teams.push(t);
  return { team: t, clock };
}

describe('team.run(): one runner, one Outcome', () => {
  it('success: a live turn with every server up answers from the team', async () => {
    const { team: t } = await team([
      { toolCalls: [{ name: 'files__echo', args: { text: 'hi' } }] },
      (messages) => ({ content: `echo said ${String(messages.at(-1)?.content)}` }),
    ]);
    const outcome = await t.run('echo hi');
    expect(outcome.status).toBe('success');
    if (outcome.status !== 'success') return;
    expect(outcome.source).toBe('team');
    expect(outcome.value).toMatchObject({ team: 'runner', answer: 'echo said hi', toolFailures: [] });
    expect(outcome.value.messages.map((m) => m.getType())).toEqual(['human', 'ai', 'tool', 'ai']);
    expect(outcome.attempts).toEqual([expect.objectContaining({ source: 'team', ok: true, attempt: 1 })]);
  });

  it('degraded: the turn answered while an optional server was down; the reason names it', async () => {
    const { team: t } = await team([{ content: 'answered with files only' }], { deadSpare: true });
    const outcome = await t.run({ messages: [['human', 'work with what you have']] });
    expect(outcome.status).toBe('degraded');
    if (outcome.status !== 'degraded') return;
    expect(outcome.source).toBe('team');
    expect(outcome.value).toMatchObject({ answer: 'answered with files only' });
    expect(outcome.reasons).toEqual([expect.stringMatching(/^optional server spare unavailable \(/)]);
    expect(outcome.error.kind).toBe('connection');
    expect(outcome.attempts).toHaveLength(1);
  });

  it('degraded: a tool call failed inside the turn; the reason names the tool and the value lists it', async () => {
    const { team: t } = await team([
      { toolCalls: [{ name: 'files__fail', args: { message: 'disk on fire' } }] },
      { content: 'the tool failed, sorry' },
    ]);
    const outcome = await t.run('use the failing tool');
    expect(outcome.status).toBe('degraded');
    if (outcome.status !== 'degraded') return;
    expect(outcome.source).toBe('team');
    expect(outcome.reasons).toEqual(['tool files__fail failed: tool TOOL_ERROR']);
    expect(outcome.value.toolFailures).toEqual([
      expect.objectContaining({ tool: 'files__fail', server: 'files' }),
    ]);
    expect(outcome.error).toBe(outcome.value.toolFailures[0]?.error);
  });

  it('a call to a tool whose server just went down is a TOOL_UNAVAILABLE connection failure', async () => {
    const { team: t } = await team([
      { toolCalls: [{ name: 'files__crash', args: {} }] },
      { toolCalls: [{ name: 'files__echo', args: { text: 'again' } }] },
      { content: 'files went away' },
    ]);
    const outcome = await t.run('crash, then echo');
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'team',
      value: { answer: 'files went away' },
    });
    if (outcome.status !== 'degraded') return;
    expect(outcome.value.toolFailures.map((f) => [f.tool, f.server, f.error.kind])).toEqual([
      ['files__crash', 'files', 'connection'],
      ['files__echo', 'files', 'connection'],
    ]);
    expect(outcome.value.toolFailures[1]?.error).toMatchObject({ code: 'TOOL_UNAVAILABLE', server: 'files' });
  });

  it('failOn serverErrors: a server failure inside the turn fails it, so the fallback answers', async () => {
    const { team: t } = await team([
      { toolCalls: [{ name: 'files__crash', args: {} }] },
      { content: 'answered around the crash' },
    ]);
    const outcome = await t.run('crash', {
      failOn: 'serverErrors',
      policy: fallback(staticValue('static answer')),
    });
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'static',
      value: 'static answer',
      error: { kind: 'connection', server: 'files' },
    });
    expect(outcome.attempts.map((a) => [a.source, a.ok])).toEqual([
      ['team', false],
      ['static', true],
    ]);
  });

  it('failed: a model error is a typed error with its reason, and run() does not throw', async () => {
    const { team: t } = await team([]); // the script is empty: the model throws SCRIPT_EXHAUSTED
    const outcome = await t.run('anything');
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error).toMatchObject({ kind: 'configuration', code: 'SCRIPT_EXHAUSTED' });
    expect(outcome.reasons).toEqual(['team failed: configuration SCRIPT_EXHAUSTED']);
    expect(JSON.parse(JSON.stringify(outcome)).error.code).toBe('SCRIPT_EXHAUSTED');
  });

  it('a retry policy runs a failed turn again after its backoff on the team clock, with call.retried on events$', async () => {
    let calls = 0;
    const { team: t, clock } = await team([
      () => {
        calls++;
        throw new ConnectionError('model endpoint dropped the connection', { code: 'ECONNRESET' });
      },
      { content: 'second time lucky' },
    ]);
    const retried = firstValueFrom(t.events$.pipe(filter((e) => e.type === 'call.retried')));
    const running = t.run('flaky model', {
      policy: retry({ maxAttempts: 2, backoff: { strategy: 'constant', baseMs: 1_000 } }),
    });
    const event = await retried;
    expect(event).toMatchObject({ type: 'call.retried', delayMs: 1_000, error: { kind: 'connection' } });
    clock.increment(1_000);
    const outcome = await running;
    expect(calls).toBe(1);
    expect(outcome.status).toBe('success');
    if (outcome.status !== 'success') return;
    expect(outcome.value.answer).toBe('second time lucky');
    expect(outcome.attempts.map((a) => [a.attempt, a.ok, a.error?.code])).toEqual([
      [1, false, 'ECONNRESET'],
      [2, true, undefined],
    ]);
  });

  it('a fallback policy answers from staticValue when the turn fails: degraded, source static', async () => {
    const { team: t } = await team([]);
    const outcome = await t.run('anything', {
      policy: wrap(fallback(staticValue('The team is unavailable; try again later.'))),
    });
    expect(outcome.status).toBe('degraded');
    if (outcome.status !== 'degraded') return;
    expect(outcome.source).toBe('static');
    expect(outcome.value).toBe('The team is unavailable; try again later.');
    expect(outcome.error.code).toBe('SCRIPT_EXHAUSTED');
    expect(outcome.reasons).toEqual(['team failed: configuration SCRIPT_EXHAUSTED']);
    expect(outcome.attempts.map((a) => [a.source, a.ok])).toEqual([
      ['team', false],
      ['static', true],
    ]);
  });

  it('a timeout policy ends a hanging turn on the team clock: failed with a TimeoutError', async () => {
    const { team: t, clock } = await team([{ toolCalls: [{ name: 'files__hang', args: {} }] }]);
    const started = firstValueFrom(t.events$.pipe(filter((e) => e.type === 'call.started')));
    const running = t.run('hang', { policy: timeout(2_000) });
    await started;
    clock.increment(2_000);
    const outcome = await running;
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error.kind).toBe('timeout');
    expect(outcome.reasons).toEqual([`team failed: timeout ${outcome.error.code}`]);
  });

  it("the caller's signal cancels the turn in flight: failed with a cancellation, never a throw", async () => {
    const { team: t } = await team([{ toolCalls: [{ name: 'files__hang', args: {} }] }]);
    const controller = new AbortController();
    const started = firstValueFrom(t.events$.pipe(filter((e) => e.type === 'call.started')));
    const running = t.run('hang', { signal: controller.signal });
    await started;
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('cancelled');
  });
});
