import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FileTokenStore } from '../../src/auth/FileTokenStore.js';
import type { CredentialRecord } from '../../src/auth/TokenStore.js';
import { runCli } from '../../src/cli/program.js';
import { type CliOutput, captureCliOutput } from './cliOutput.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'azcore-cli-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEARCH = 'https://search.example.com/mcp';
const DOCS = 'https://docs.example.com/mcp';
const config = join(dir, 'mcp.json');
writeFileSync(
  config,
  JSON.stringify({
    mcpServers: {
      search: { type: 'http', url: SEARCH },
      docs: { type: 'http', url: DOCS },
      files: { command: 'node', args: ['server.js'] },
    },
  }),
);

const HOUR = 3_600_000;
const record = (over: Partial<CredentialRecord>): CredentialRecord => ({
  issuer: 'https://as.example.com',
  resource: SEARCH,
  clientId: 'azcore-cli',
  tokens: {
    access_token: 'SECRET-access',
    token_type: 'Bearer',
    refresh_token: 'SECRET-refresh',
    scope: 'search:read',
  },
  client: { client_id: 'azcore-cli', client_secret: 'SECRET-client', client_id_issued_at: 1 },
  updatedAt: Date.now(),
  ...over,
});

let tokenFile = '';
async function seed(): Promise<FileTokenStore> {
  tokenFile = join(mkdtempSync(join(dir, 'tokens-')), 'credentials.json');
  const store = new FileTokenStore({ path: tokenFile });
  const now = Date.now();
  await store.save(record({ obtainedAt: now, expiresAt: now + 2 * HOUR, updatedAt: now }));
  await store.save(
    record({
      resource: DOCS,
      clientId: 'https://app.example.com/client.json',
      tokens: { access_token: 'SECRET-docs', token_type: 'Bearer' },
      client: undefined,
      expiresAt: now - 3 * HOUR,
      updatedAt: now - 1,
    }),
  );
  await store.save(
    record({
      resource: 'https://elsewhere.example.com/mcp',
      clientId: 'static-1',
      client: undefined,
      updatedAt: now - 2,
    }),
  );
  return store;
}

let io: CliOutput = { out: '', err: '' };
afterEach(() => {
  vi.restoreAllMocks();
});
const cli = (...args: string[]) => {
  io = captureCliOutput();
  return runCli(['node', 'azcore', 'auth', ...args]);
};

describe('azcore auth status', () => {
  it('tables every stored credential with its server name, expiry and refresh, never a secret', async () => {
    await seed();
    expect(await cli('status', '--config', config, '--token-file', tokenFile)).toBe(0);
    expect(io.out).toMatch(/^SERVER\s+RESOURCE\s+ISSUER\s+CLIENT\s+TOKEN\s+EXPIRES\s+REFRESH\s+SCOPE$/m);
    expect(io.out).toMatch(
      /^search\s+https:\/\/search\.example\.com\/mcp\s+https:\/\/as\.example\.com\s+azcore-cli \(dynamic\)\s+valid\s+in 2 h\s+yes\s+search:read$/m,
    );
    expect(io.out).toMatch(/^docs\s+.+\(metadataUrl\)\s+expired\s+3 h ago\s+no$/m);
    expect(io.out).toMatch(
      /^-\s+https:\/\/elsewhere\.example\.com\/mcp\s+.+static-1 \(static\)\s+valid\s+unknown\s+yes/m,
    );
    expect(`${io.out}${io.err}`).not.toContain('SECRET');
  });

  it('--json: the file and one secret-free summary per credential', async () => {
    await seed();
    expect(await cli('status', '--config', config, '--token-file', tokenFile, '--json')).toBe(0);
    const report = JSON.parse(io.out) as { file: string; credentials: Record<string, unknown>[] };
    expect(report.file).toBe(tokenFile);
    expect(report.credentials.map((c) => [c.server, c.status])).toEqual([
      ['search', 'valid'],
      ['docs', 'expired'],
      [null, 'valid'],
    ]);
    expect(report.credentials[0]).toMatchObject({
      issuer: 'https://as.example.com',
      clientId: 'azcore-cli',
      scope: 'search:read',
      hasRefreshToken: true,
      hasClientSecret: true,
      expired: false,
      clientRegistration: 'dynamic',
    });
    expect(io.out).not.toContain('SECRET');
  });

  it('one server by name or URL; exit 1 and the login command when nothing is stored', async () => {
    await seed();
    expect(await cli('status', 'docs', '--config', config, '--token-file', tokenFile, '--json')).toBe(0);
    expect((JSON.parse(io.out) as { credentials: { server: string }[] }).credentials).toMatchObject([
      { server: 'docs' },
    ]);
    expect(await cli('status', SEARCH, '--token-file', tokenFile)).toBe(0);
    expect(io.out.split('\n').filter((l) => l.includes('search.example.com'))).toHaveLength(1);
    await new FileTokenStore({ path: tokenFile }).remove({ resource: DOCS });
    expect(await cli('status', 'docs', '--config', config, '--token-file', tokenFile)).toBe(1);
    expect(io.out).toContain(
      `No stored credentials for docs in ${tokenFile}.\nLog in with \`azcore auth login docs\`.`,
    );
  });

  it('says what to fix: a stdio server, an unknown server, a missing config, a damaged file, an empty store', async () => {
    await seed();
    expect(await cli('status', 'files', '--config', config, '--token-file', tokenFile)).toBe(64);
    expect(io.err).toMatch(/files is a stdio server: OAuth credentials belong to HTTP servers only/);
    expect(await cli('status', 'nope', '--config', config, '--token-file', tokenFile)).toBe(64);
    expect(io.err).toMatch(
      /There is no server 'nope' in .*mcp\.json: use a name from its "mcpServers", or the server's URL/,
    );
    expect(await cli('status', '--config', join(dir, 'missing.json'), '--token-file', tokenFile)).toBe(78);
    expect(io.err).toMatch(/missing\.json: there is no such file/);

    const empty = join(dir, 'none', 'credentials.json');
    expect(await cli('status', '--token-file', empty)).toBe(0);
    expect(io.out).toBe(`No stored OAuth credentials in ${empty}.\n`);

    writeFileSync(tokenFile, '{"version":1,"credentials":[{"tokens":{"access_token":"SECRET-x"');
    expect(await cli('status', '--token-file', tokenFile)).toBe(78);
    expect(io.err).toContain(
      `azcore: The credentials file ${tokenFile} cannot be used: it is not valid JSON`,
    );
    expect(io.err).not.toContain('SECRET');
  });
});

describe('azcore auth logout', () => {
  it('forgets one server by name or URL, then everything with --all', async () => {
    const store = await seed();
    expect(await cli('logout', 'search', '--config', config, '--token-file', tokenFile)).toBe(0);
    expect(io.out).toBe(`Removed 1 stored credential for search (${SEARCH}) from ${tokenFile}.\n`);
    expect((await store.list()).map((r) => r.resource)).not.toContain(SEARCH);
    expect(await cli('logout', 'search', '--config', config, '--token-file', tokenFile)).toBe(0);
    expect(io.out).toMatch(/^No stored credentials for search \(.+\); nothing to remove/);
    expect(await cli('logout', DOCS, '--token-file', tokenFile, '--json')).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ file: tokenFile, removed: 1 });
    await store.save(record({ clientId: 'again' }));
    expect(await cli('logout', '--all', '--token-file', tokenFile)).toBe(0);
    expect(io.out).toBe(`Removed 2 stored credentials in total from ${tokenFile}.\n`);
    expect(await store.list()).toEqual([]);
  });

  it('needs a server or --all, not both nor neither', async () => {
    expect(await cli('logout', '--token-file', join(dir, 'x.json'))).toBe(64);
    expect(io.err).toMatch(/Name one server to log out of, or pass --all \(not both\)/);
    expect(await cli('logout', 'search', '--all', '--config', config)).toBe(64);
  });

  it('help lists the subcommands', async () => {
    expect(await cli('--help')).toBe(0);
    expect(io.out).toMatch(/^ {2}status \[options\] \[server\]/m);
    expect(io.out).toMatch(/^ {2}logout \[options\] \[server\]/m);
  });
});

describe('azcore bin', () => {
  it('auth status --json runs from the real bin', async () => {
    await seed();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'auth', 'status', '--json', '--config', config],
      { cwd: root, env: { ...process.env, AZCORE_TOKEN_FILE: tokenFile } },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      file: tokenFile,
      credentials: [{ server: 'search' }, {}, {}],
    });
  }, 90_000);
});
