// `azcore auth login` run in-process against a real authorization server (oidc-provider) and a
import { useTempDir } from '../support/tempDir.js';
import { type CliOutput, captureCliOutput } from './cliOutput.js';
// protected MCP server on 127.0.0.1. The test plays the person: it reads the URL the CLI printed,
// consents at the authorization server and follows the redirect to the CLI's loopback listener.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { FileTokenStore } from '../../src/auth/FileTokenStore.js';
import { type AuthCommandDeps, authCommand } from '../../src/cli/commands/auth.js';
import { runCli } from '../../src/cli/program.js';
import { useOAuthServers } from '../support/oauthServers.js';

const dir = useTempDir('azcore-cli-login-');
const servers = useOAuthServers({ per: 'test' });

let config = '';
let tokenFile = '';

beforeEach(async () => {
  const here = mkdtempSync(join(dir, 'run-'));
  tokenFile = join(here, 'credentials.json');
  config = join(here, 'mcp.json');
  const basic = servers.as.clients.basic;
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: {
        secured: { type: 'http', url: servers.rs.url.href, oauth: {} },
        plain: { type: 'http', url: 'http://127.0.0.1:9/mcp' },
        files: { command: 'node', args: ['server.js'] },
        machine: {
          type: 'http',
          url: servers.rs.url.href,
          oauth: { grant: 'client_credentials', clientId: basic.clientId, clientSecret: basic.clientSecret },
        },
        wrongSecret: {
          type: 'http',
          url: servers.rs.url.href,
          oauth: { grant: 'client_credentials', clientId: basic.clientId, clientSecret: 'NOT-THE-SECRET' },
        },
      },
    }),
  );
});

afterEach(async () => {
  vi.restoreAllMocks();
});

let io: CliOutput = { out: '', err: '' };

/** Resolves with the sign-in URL once the CLI has printed it on stderr. */
let printedUrl: Promise<URL> = Promise.resolve(new URL('http://127.0.0.1/'));

function captureOutput(): void {
  let found: (url: URL) => void = () => {};
  printedUrl = new Promise<URL>((resolve) => {
    found = resolve;
  });
  io = captureCliOutput((err) => {
    const match = /Open this URL to sign in to [\w.-]+:\n\n {2}(\S+)\n/.exec(err);
    if (match?.[1]) found(new URL(match[1]));
  });
}

/** The CLI as `azcore` runs it. */
const cli = (...args: string[]) => {
  vi.restoreAllMocks();
  captureOutput();
  return runCli(['node', 'azcore', 'auth', ...args]);
};

/** The same `auth` command with a clock or a cancel signal of the test's (runCli takes none). */
const cliWith = async (deps: AuthCommandDeps, ...args: string[]) => {
  vi.restoreAllMocks();
  captureOutput();
  let code = -1;
  const program = new Command('azcore').exitOverride().addCommand(
    authCommand((c) => {
      code = c;
    }, deps).exitOverride(),
  );
  await program.parseAsync(['node', 'azcore', 'auth', ...args]);
  return code;
};

const files = () => ['--config', config, '--token-file', tokenFile];
const stored = () => new FileTokenStore({ path: tokenFile }).find(servers.rs.url.href);

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** Connection refused: nothing listens on the redirect URI any more. */
const listenerClosed = async (url: URL) => {
  const redirectUri = url.searchParams.get('redirect_uri') as string;
  const error = await fetch(redirectUri).catch((e: unknown) => e);
  return (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
};

describe('azcore auth login: authorization code', () => {
  it('prints the URL, takes the redirect on 127.0.0.1, stores the tokens and says what was stored, never a token', async () => {
    const run = cli('login', 'secured', ...files());
    const url = await printedUrl;
    expect(url.origin).toBe(servers.as.issuer);
    expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    await fetch(await servers.as.completeAuthorization(url));
    expect(await run).toBe(0);
    const shown = io.out + io.err;

    const [record] = await stored();
    const clientId = servers.as.registrations[0]?.clientId;
    expect(record).toMatchObject({ issuer: servers.as.issuer, resource: servers.rs.url.href, clientId });
    expect(io.out).toContain(`Logged in to secured. Stored in ${tokenFile}:`);
    expect(io.out).toMatch(new RegExp(`^ {2}issuer {3}${servers.as.issuer}$`, 'm'));
    expect(io.out).toMatch(new RegExp(`^ {2}client {3}${clientId} \\(dynamic\\)$`, 'm'));
    expect(io.out).toMatch(/^ {2}scope {4}tools:read$/m);
    expect(io.out).toMatch(/^ {2}expires {2}in 5 min \(refresh token stored\)$/m);
    expect(await listenerClosed(url)).toBe(true);

    expect(await cli('status', 'secured', ...files(), '--json')).toBe(0);
    const status = JSON.parse(io.out) as { credentials: Record<string, unknown>[] };
    expect(status.credentials).toMatchObject([
      { server: 'secured', status: 'valid', issuer: servers.as.issuer, clientId, hasRefreshToken: true },
    ]);

    // A second login finds the stored tokens working: nobody is asked, no new grant.
    expect(await cli('login', 'secured', ...files())).toBe(0);
    expect(io.out).toMatch(/^Already logged in to secured: the stored credentials work/);
    expect(io.err).not.toContain('Open this URL');
    expect(servers.as.tokenRequestCount('authorization_code')).toBe(1);

    const secrets = [record?.tokens?.access_token, record?.tokens?.refresh_token, record?.tokens?.id_token];
    for (const secret of secrets.filter((s): s is string => !!s)) {
      expect(shown).not.toContain(secret);
      expect(io.out + io.err).not.toContain(secret);
    }
  });

  it('--json: the file and the secret-free summary of what was stored', async () => {
    const run = cli('login', 'secured', ...files(), '--json');
    await fetch(await servers.as.completeAuthorization(await printedUrl));
    expect(await run).toBe(0);
    const report = JSON.parse(io.out) as {
      file: string;
      server: string;
      outcome: string;
      credential: object;
    };
    expect(report).toMatchObject({
      file: tokenFile,
      server: 'secured',
      outcome: 'loggedIn',
      credential: { issuer: servers.as.issuer, status: 'valid', hasAccessToken: true },
    });
    const [record] = await stored();
    expect(io.out).not.toContain(record?.tokens?.access_token);
  });

  it('a denied consent: exit 1, access_denied named with the server, nothing stored', async () => {
    const run = cli('login', 'secured', ...files());
    await fetch(await servers.as.completeAuthorization(await printedUrl, { deny: true }));
    expect(await run).toBe(1);
    expect(io.err).toMatch(/^azcore: \[secured\] .*access_denied/m);
    expect(io.err).toMatch(/start it again and approve it/);
    expect(await stored()).toEqual([]);
  });

  it('--timeout: nobody signs in, the login times out on the clock it runs on; the listener is gone', async () => {
    const clock = new SimulatedClock();
    const run = cliWith({ clock }, 'login', 'secured', ...files(), '--timeout', '30');
    const url = await printedUrl;
    expect(io.err).toContain('Waiting up to 30 s for the sign-in');
    clock.increment(29_999);
    clock.increment(1);
    expect(await run).toBe(1);
    expect(io.err).toMatch(
      /^azcore: \[secured\] Nobody finished the login within 30000 ms\. Open the authorization URL/m,
    );
    expect(await listenerClosed(url)).toBe(true);
    expect(await stored()).toEqual([]);
  });

  it('a pre-registered client with a loopback redirectUri in its config: the CLI listens on that port', async () => {
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          fixed: {
            type: 'http',
            url: servers.rs.url.href,
            oauth: { clientId: servers.as.clients.public.clientId, redirectUri },
          },
          web: {
            type: 'http',
            url: servers.rs.url.href,
            oauth: { redirectUri: 'https://app.example.com/oauth/cb' },
          },
        },
      }),
    );
    const run = cli('login', 'fixed', ...files());
    const url = await printedUrl;
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(url.searchParams.get('client_id')).toBe(servers.as.clients.public.clientId);
    await fetch(await servers.as.completeAuthorization(url));
    expect(await run).toBe(0);
    expect(io.out).toMatch(/^ {2}client {3}fixture-public \(static\)$/m);
    expect(servers.as.registrations).toHaveLength(0);
    expect(await listenerClosed(url)).toBe(true);

    expect(await cli('login', 'web', ...files())).toBe(78);
    expect(io.err).toMatch(
      /web's oauth\.redirectUri \(https:\/\/app\.example\.com\/oauth\/cb\) is not a loopback address/,
    );
  });

  it('cancelled (as by Ctrl-C): exit 1, the listener is gone, nothing stored', async () => {
    const cancel = new AbortController();
    const run = cliWith({ signal: cancel.signal }, 'login', 'secured', ...files());
    const url = await printedUrl;
    cancel.abort();
    expect(await run).toBe(1);
    expect(io.err).toMatch(/^azcore: .*cancelled/im);
    expect(await listenerClosed(url)).toBe(true);
    expect(await stored()).toEqual([]);
  });
});

describe('azcore auth login: what cannot be logged in to', () => {
  it('a server without oauth, a stdio server, an unknown server, a URL, a bad --timeout', async () => {
    expect(await cli('login', 'plain', ...files())).toBe(78);
    expect(io.err).toMatch(
      /^azcore: plain has no "oauth" in .*mcp\.json, so there is nothing to log in to\. Add "oauth": \{\}/m,
    );
    expect(io.err).toContain('"plain": { "type": "http", "url": "http://127.0.0.1:9/mcp", "oauth": {} }');
    expect(await cli('login', 'files', ...files())).toBe(64);
    expect(io.err).toMatch(/files is a stdio server: OAuth credentials belong to HTTP servers only/);
    expect(await cli('login', 'nope', ...files())).toBe(64);
    expect(io.err).toMatch(/There is no server 'nope' in/);
    expect(await cli('login', servers.rs.url.href, ...files())).toBe(64);
    expect(io.err).toMatch(/Log in by server name, not URL/);
    expect(await cli('login', 'secured', ...files(), '--timeout', '0')).toBe(64);
    expect(io.err).toMatch(/a positive number of seconds/);
    expect(servers.as.tokenRequestCount()).toBe(0);
  });

  it('client_credentials: nothing to log in to; --check proves the credentials and stores the token', async () => {
    expect(await cli('login', 'machine', ...files())).toBe(0);
    expect(io.out).toMatch(/^machine uses the client_credentials grant: there is nothing to log in to/);
    expect(servers.as.tokenRequestCount()).toBe(0);

    expect(await cli('login', 'machine', ...files(), '--check')).toBe(0);
    expect(io.out).toContain(`machine accepted the client credentials. Stored in ${tokenFile}:`);
    expect(io.out).toMatch(
      new RegExp(`^ {2}client {3}${servers.as.clients.basic.clientId} \\(static\\)$`, 'm'),
    );
    expect(servers.as.tokenRequestCount('client_credentials')).toBe(1);
    const [record] = await stored();
    expect(record?.clientId).toBe(servers.as.clients.basic.clientId);
    expect(io.out + io.err).not.toContain(record?.tokens?.access_token);
    expect(io.out + io.err).not.toContain(servers.as.clients.basic.clientSecret);

    // --check asks for a fresh token (the stored one would prove nothing) and keeps the file as it
    // was when the credentials are refused.
    expect(await cli('login', 'wrongSecret', ...files(), '--check')).toBe(1);
    expect(io.err).toMatch(/^azcore: \[wrongSecret\] .*invalid_client/m);
    expect(io.err).not.toContain('NOT-THE-SECRET');
    expect(await stored()).toEqual([record]);
  });
});
