import { afterAll } from 'vitest';
import { RuleBasedChatModel } from '../../src/llm/RuleBasedChatModel.js';
import { ScriptedChatModel, type ScriptTurn } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';

/** A dead loopback URL: port 9 (discard) is closed here, so connects are refused at once. */
export const DEAD_URL = 'http://127.0.0.1:9/mcp';

const built: MCPTeam[] = [];

/** Cleans every team built through this kit (register once per test file). */
export function cleanupTeamsAfterAll(): void {
  afterAll(async () => {
    await Promise.all(built.splice(0).map((t) => t.cleanup()));
  });
}

async function keep(team: Promise<MCPTeam>): Promise<MCPTeam> {
  const t = await team;
  built.push(t);
  return t;
}

/** A team over one fixture stdio server named `files`, run by the rule-based model (`use:` plans). */
export function planTeam(name = 'plan'): Promise<MCPTeam> {
  const fx = stdioFixture();
  return keep(
    new MCPTeamBuilder(name)
      .withLlm(new RuleBasedChatModel({ maxToolCalls: 5 }))
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'files' })
      .build(),
  );
}

/** A team over one fixture server, run by a script. */
export function scriptedTeam(name: string, script: ScriptTurn[]): Promise<MCPTeam> {
  const fx = stdioFixture();
  return keep(
    new MCPTeamBuilder(name)
      .withLlm(new ScriptedChatModel(script, { whenExhausted: 'repeatLast' }))
      .withLogger(quietLogger)
      .withMcpServer(fx.command, fx.args, { name: 'files' })
      .build(),
  );
}

/** A team with no MCP server that always answers `answer` (fast to build). */
export function answeringTeam(name: string, answer: string): Promise<MCPTeam> {
  return keep(
    new MCPTeamBuilder(name)
      .withLlm(new ScriptedChatModel([], { whenExhausted: { answer } }))
      .withLogger(quietLogger)
      .build(),
  );
}
