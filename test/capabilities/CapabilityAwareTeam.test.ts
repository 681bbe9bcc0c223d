import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityAwareTeam } from '../../src/capabilities/CapabilityAwareTeam.js';
import { ofType } from '../../src/events/EventBus.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

// The model answers with the task it was given, so the test sees exactly what reached it.
const model = new ScriptedChatModel(
  [(messages) => ({ content: `got: ${String(messages.findLast((m) => m.getType() === 'human')?.content)}` })],
  { whenExhausted: 'repeatLast' },
);
let adaptive: CapabilityAwareTeam<MCPTeam>;

beforeAll(async () => {
  const fx = stdioFixture();
  const dead = stdioFixture({ faults: ['exit-immediately'] });
  adaptive = await CapabilityAwareTeam.build(
    new MCPTeamBuilder('adaptive')
      .withLlm(model)
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'files' })
      .withMcpServer(fx.command, fx.args, { name: 'github', optional: true })
      .withMcpServer(dead.command, dead.args, { name: 'search', optional: true })
      // One tool failure opens a breaker, and it stays open for the whole test.
      .withCircuitBreaker(
        { strategy: { kind: 'consecutive', threshold: 1 }, resetTimeoutMs: 600_000, successThreshold: 1 },
        { toolErrorsTrip: true },
      ),
    { capabilities: { filesystem: { tools: /^files__/, task: /\bfiles?\b/i } } },
  );
  // build() waits only for required servers: the optional github joins when it is up.
  const team = adaptive.team;
  if (!team.getServerStates().github?.tools) {
    await firstValueFrom(
      team.events$.pipe(
        ofType('team.server.joined'),
        filter((e) => e.server === 'github'),
      ),
    );
  }
});
afterAll(() => adaptive?.team.cleanup());

describe('CapabilityAwareTeam', () => {
  it('builds with skipFailedServers: the dead optional server is simply missing', () => {
    const map = adaptive.detectCapabilities();
    expect(map.filesystem?.length).toBeGreaterThan(0);
    expect(map.github).toContain('github__echo');
    expect(map.search).toEqual([]);
  });

  it('runs a task whose capabilities are all there unchanged: success', async () => {
    const run = await adaptive.executeAdaptive('Open an issue on GitHub and list the files.');
    expect(run).toMatchObject({ status: 'success', required: ['filesystem', 'github'], missing: [] });
    if (run.status !== 'failed') expect(run.answer).toBe('got: Open an issue on GitHub and list the files.');
  });

  it('tells the model what is missing and reports degraded', async () => {
    const run = await adaptive.executeAdaptive('Search the web and save the results to a file.');
    expect(run).toMatchObject({ status: 'degraded', missing: ['search'] });
    expect(run.available).toEqual(expect.arrayContaining(['filesystem', 'github']));
    expect(run.task).toMatch(
      /^Note: Search is unavailable: use cached or known information and say so\.\n\nSearch the web/,
    );
    if (run.status !== 'failed') expect(run.answer).toBe(`got: ${run.task}`);
  });

  it('detects capabilities at call time: a server that goes down after construction is missing now', async () => {
    await adaptive.team.getServer('github')?.callTool('fail');
    expect(adaptive.detectCapabilities().github).toEqual([]);
    const run = await adaptive.executeAdaptive('Open an issue on GitHub.');
    expect(run).toMatchObject({ status: 'degraded', missing: ['github'] });
    expect(run.task).toMatch(/^Note: GitHub is unavailable: save results locally\./);
  });
});
