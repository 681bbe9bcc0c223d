// The OAuth scaffolding of the tests that need a login: a real authorization server (oidc-provider)
// and a protected MCP server on 127.0.0.1, an empty credentials file of the test file's own for
// the default file token store (a team's servers use it unless told otherwise), and a team whose
// optional server behind OAuth waits for a login.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import { ScriptedChatModel } from '../../src/llm/ScriptedChatModel.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { MCPTeamBuilder } from '../../src/team/MCPTeamBuilder.js';
import { quietLogger } from '../actors/connectionTestKit.js';
import { stdioFixture } from '../fixtures/index.js';
import {
  type AuthorizationServerFixture,
  type AuthorizationServerOptions,
  startAuthorizationServer,
} from '../fixtures/oauth/authorizationServer.js';
import {
  type ProtectedMcpServerFixture,
  startProtectedMcpServer,
} from '../fixtures/oauth/protectedMcpServer.js';

export interface OAuthServers {
  /** The authorization server (it also plays the person: `completeAuthorization`). */
  readonly as: AuthorizationServerFixture;
  /** The MCP server behind it, which accepts only its tokens. */
  readonly rs: ProtectedMcpServerFixture;
}

export interface OAuthServersOptions extends AuthorizationServerOptions {
  /** `file` (the default): started before the file's first test, closed after its last; `test`: new ones for every test. */
  per?: 'file' | 'test';
}

/** Registers the hooks that start and close both servers; call it at the top level of a test file. */
export function useOAuthServers(options: OAuthServersOptions = {}): OAuthServers {
  const { per = 'file', ...asOptions } = options;
  let as: AuthorizationServerFixture | undefined;
  let rs: ProtectedMcpServerFixture | undefined;
  const [before, after] = per === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    as = await startAuthorizationServer(asOptions);
    rs = await startProtectedMcpServer({ issuer: as.issuer });
  });
  after(async () => {
    await rs?.close();
    await as?.close();
    as = undefined;
    rs = undefined;
  });
  const started = <T>(fixture: T | undefined): T => {
    if (!fixture) throw new Error('the OAuth servers of this file are not started (used outside a test?)');
    return fixture;
  };
  return {
    get as() {
      return started(as);
    },
    get rs() {
      return started(rs);
    },
  };
}

/**
 * Points AZCORE_TOKEN_FILE (the default file store) at an empty file in a new temporary directory
 * named `prefix...` for the whole test file; restores the variable and removes the directory after.
 */
export function useOwnTokenFile(prefix: string): void {
  const previous = process.env.AZCORE_TOKEN_FILE;
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.AZCORE_TOKEN_FILE = join(dir, 'credentials.json');
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.AZCORE_TOKEN_FILE;
    else process.env.AZCORE_TOKEN_FILE = previous;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * A team with a local stdio server and an optional server `secured` at `securedUrl` (OAuth, no token,
 * no login handler); resolves once `secured` waits in `authorizing`. The caller cleans the team up.
 */
export async function teamNeedingLogin(name: string, securedUrl: string): Promise<MCPTeam> {
  const team = await new MCPTeamBuilder(name)
    .withLlm(new ScriptedChatModel([{ content: 'done' }]))
    .withLogger(quietLogger)
    .withMcpServers({
      mcpServers: {
        local: { ...stdioFixture(), type: 'stdio' },
        secured: { url: securedUrl, oauth: {}, optional: true },
      },
    })
    .skipFailedServers(true)
    .build();
  const secured = team.getServer('secured') as ServerConnection;
  if (secured.state !== 'authorizing') {
    await firstValueFrom(secured.state$.pipe(filter((s) => s === 'authorizing')));
  }
  return team;
}
