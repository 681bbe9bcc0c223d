import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptTask } from '../../src/capabilities/adaptTask.js';
import { detectCapabilities } from '../../src/capabilities/detectCapabilities.js';
import { ofType } from '../../src/events/EventBus.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import { retry } from '../../src/policy/retry.js';
import { wrap } from '../../src/policy/wrap.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

// The model answers with the task it was given, so the test sees exactly what reached it.
const model = new ScriptedChatModel(
  [(messages) => ({ content: `got: ${String(messages.findLast((m) => m.getType() === 'human')?.content)}` })],
  { whenExhausted: 'repeatLast' },
);
const capabilities = { filesystem: { tools: /^files__/, task: /\bfiles?\b/i } };
let team: MCPTeam;

beforeAll(async () => {
  const fx = stdioFixture();
  const dead = stdioFixture({ faults: ['exit-immediately'] });
  team = await new MCPTeamBuilder('adaptive')
    .withLlm(model)
    .withLogger(quietLogger)
    .withMcpServer(fx.command, fx.args, { name: 'files' })
    .withMcpServer(fx.command, fx.args, { name: 'github', optional: true })
    .withMcpServer(dead.command, dead.args, { name: 'search', optional: true })
    // One tool failure opens a breaker, and it stays open for the whole test.
    .withCircuitBreaker(
      { strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 600_000, successThreshold: 1 },
      { toolErrorsTrip: true },
    )
    .skipFailedServers(true)
    .build();
  // build() waits only for required servers: the optional github joins when it is up.
  if (!team.getServerStates().github?.tools) {
    await firstValueFrom(
      team.events$.pipe(
        ofType('team.server.joined'),
        filter((e) => e.server === 'github'),
      ),
    );
  }
});
afterAll(() => team?.cleanup());

describe('adaptTask + team.run: capability-aware execution', () => {
  it('with skipFailedServers the dead optional server is simply missing from the live tools', () => {
    const map = detectCapabilities(team.getMcpToolNames(), capabilities);
    expect(map.filesystem?.length).toBeGreaterThan(0);
    expect(map.github).toContain('github__echo');
    expect(map.search).toEqual([]);
  });

  it('sends a task whose capabilities are all there unchanged; no capability reason', async () => {
    const task = 'Open an issue on GitHub and list the files.';
    const adapted = adaptTask(team, task, { capabilities });
    expect(adapted).toMatchObject({ task, required: ['filesystem', 'github'], missing: [] });
    const outcome = await team.run(adapted.task, { policy: adapted.policy });
    expect(outcome.status).not.toBe('failed');
    if (outcome.status === 'failed') return;
    expect(outcome.value.answer).toBe(`got: ${task}`);
    // The dead optional server still makes the answer degraded (team.run says so), not a capability.
    expect(outcome.reasons ?? []).toEqual([expect.stringMatching(/^optional server search unavailable/)]);
  });

  it('tells the model what is missing; the answer is degraded with a reason per missing capability', async () => {
    const adapted = adaptTask(team, 'Search the web and save the results to a file.', { capabilities });
    expect(adapted).toMatchObject({ required: ['filesystem', 'search'], missing: ['search'] });
    expect(adapted.available).toEqual(expect.arrayContaining(['filesystem', 'github']));
    expect(adapted.task).toMatch(
      /^Note: Search is unavailable: use cached or known information and say so\.\n\nSearch the web/,
    );
    const outcome = await team.run(adapted.task, { policy: wrap(adapted.policy, retry({ maxAttempts: 2 })) });
    expect(outcome).toMatchObject({
      status: 'degraded',
      source: 'team',
      error: { kind: 'resource', code: 'CAPABILITY_MISSING' },
      reasons: ['capability search failed: resource CAPABILITY_MISSING'],
    });
    if (outcome.status === 'degraded') expect(outcome.value.answer).toBe(`got: ${adapted.task}`);
    expect(outcome.attempts.map((a) => `${a.source}:${a.ok}`)).toEqual([
      'team:true',
      'capability search:false',
    ]);
  });

  it('detects capabilities at call time: a server that goes down after the build is missing now', async () => {
    await team.getServer('github')?.callTool('fail');
    expect(detectCapabilities(team.getMcpToolNames(), capabilities).github).toEqual([]);
    const adapted = adaptTask(team, 'Open an issue on GitHub.', { capabilities });
    expect(adapted.missing).toEqual(['github']);
    expect(adapted.task).toMatch(/^Note: GitHub is unavailable: save results locally\./);
    const outcome = await team.run(adapted.task, { policy: adapted.policy });
    expect(outcome).toMatchObject({
      status: 'degraded',
      reasons: ['capability github failed: resource CAPABILITY_MISSING'],
    });
  });
});
