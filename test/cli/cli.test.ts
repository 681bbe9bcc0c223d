import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { STDIO_SERVER_PATH } from '../fixtures/index.js';
import { useTempDir } from '../support/tempDir.js';
import { type CliOutput, captureCliOutput } from './cliOutput.js';

const root = new URL('../../', import.meta.url).pathname;
const MAIN = join(root, 'src', 'cli', 'main.ts');
const EXAMPLE = 'examples/mcp.json';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Runs the real `azcore` bin (src/cli/main.ts, compiled by tsx's loader) from the repository root.
 * `node --import tsx` keeps it one process: signals reach the CLI itself, not a tsx wrapper.
 */
function azcore(args: string[]): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: root,
    env: { ...process.env, OPENAI_API_KEY: '' },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<Result>((resolve) => {
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

describe.concurrent('azcore bin against examples/mcp.json', () => {
  it('run: progress per server on stderr, the answer and a status table on stdout', async () => {
    const { code, stdout, stderr } = await azcore(['run', '--config', EXAMPLE, 'echo hello from azcore'])
      .done;
    expect(stderr).toMatch(/connecting to 2 servers from examples\/mcp\.json/);
    expect(stderr).toMatch(/… everything\s+connecting/);
    expect(stderr).toMatch(/✓ filesystem\s+ready \(\d+\.\d s\)/);
    expect(stderr).toMatch(/→ everything__echo: ok in \d+ ms/);
    expect(stdout).toMatch(/Echo: echo hello from azcore/);
    expect(stdout).toMatch(/SERVER\s+STATE\s+BREAKER\s+TOOLS\s+REQUIRED\s+LAST ERROR/);
    expect(stdout).toMatch(/everything\s+ready\s+closed\s+\d+\s+yes/);
    expect(code).toBe(0);
  }, 90_000);

  it('health --json: a healthy team exits 0', async () => {
    const { code, stdout } = await azcore(['health', '--config', EXAMPLE, '--json']).done;
    const report = JSON.parse(stdout) as {
      status: string;
      checks: Record<string, { status: string }>;
      servers: Record<string, { state: string; optional: boolean }>;
    };
    expect(report.status).toBe('healthy');
    expect(report.checks).toMatchObject({ servers: { status: 'pass' }, tools: { status: 'pass' } });
    expect(report.servers.filesystem).toMatchObject({ state: 'ready', optional: false });
    expect(code).toBe(0);
  }, 90_000);

  it('tools: one line per tool of every server', async () => {
    const { code, stdout } = await azcore(['tools', '--config', EXAMPLE]).done;
    expect(stdout).toMatch(/^SERVER\s+TOOL\s+DESCRIPTION$/m);
    expect(stdout).toMatch(/^everything\s+echo\s+Echoes back the input string$/m);
    expect(stdout).toMatch(/^filesystem\s+list_allowed_directories\s+/m);
    expect(stdout).toMatch(/\d+ tools from 2 of 2 servers/);
    expect(code).toBe(0);
  }, 90_000);

  it('dashboard: prints its URL, serves the live team, stops cleanly on SIGTERM', async () => {
    const { child, done } = azcore(['dashboard', '--config', EXAMPLE, '--port', '0', '--json']);
    const line = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
    });
    const { url } = JSON.parse(line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const snapshot = (await (await fetch(new URL('/api/snapshot', url))).json()) as {
      servers: { name: string; state: string }[];
    };
    expect(snapshot.servers.map((s) => [s.name, s.state])).toEqual([
      ['everything', 'ready'],
      ['filesystem', 'ready'],
    ]);
    child.kill('SIGTERM');
    const { code, stderr } = await done;
    expect(stderr).toMatch(/SIGTERM: stopping/);
    expect(code).toBe(0);
  }, 90_000);
});

describe('azcore in-process: verdicts and errors', () => {
  const dir = useTempDir('azcore-cli-');
  const fixture = { command: process.execPath, args: [STDIO_SERVER_PATH] };
  const dead = { url: 'http://127.0.0.1:9/mcp', connectTimeoutMs: 2_000 };
  const config = (name: string, servers: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ mcpServers: servers }));
    return path;
  };
  let io: CliOutput = { out: '', err: '' };
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const cli = (...args: string[]) => {
    io = captureCliOutput();
    return runCli(['node', 'azcore', ...args]);
  };

  it('health exits 1 when an optional server is down and 2 when a required one is', async () => {
    const degraded = config('degraded', { local: fixture, spare: { ...dead, optional: true } });
    expect(await cli('health', '--config', degraded)).toBe(1);
    expect(io.out).toMatch(
      /spare\s+(reconnecting|failed)\s+closed\s+0\s+no\s+connection\/[A-Z_]+: \[spare\]/,
    );
    expect(io.out).toMatch(/servers\s+warn\s+1\/2 servers connected; optional servers unavailable: spare/);
    expect(io.out.trimEnd().endsWith('degraded')).toBe(true);

    const unhealthy = config('unhealthy', { local: fixture, needed: dead });
    expect(await cli('health', '--config', unhealthy, '--json')).toBe(2);
    expect(JSON.parse(io.out)).toMatchObject({
      status: 'unhealthy',
      checks: { servers: { status: 'fail' } },
    });
  }, 30_000);

  it('run fails with the build error naming a required server that cannot start', async () => {
    const path = config('broken', { needed: dead });
    expect(await cli('run', '--config', path, 'do something')).toBe(1);
    expect(io.err).toMatch(/could not start 1 server\(s\):\n {2}- needed: \[needed\] /);
  }, 30_000);

  it('says what to fix: missing or invalid config, bad command line', async () => {
    expect(await cli('health', '--config', join(dir, 'missing.json'))).toBe(78);
    expect(io.err).toMatch(/there is no such file\.\nPass --config <file> with an mcpServers JSON file/);

    writeFileSync(join(dir, 'bad.json'), '{ "mcpServers": { "a": { "command": "x", }, } }');
    expect(await cli('tools', '--config', join(dir, 'bad.json'))).toBe(78);
    expect(io.err).toMatch(/bad\.json is not valid JSON \(.+\)\. Check for trailing commas/);

    const invalid = config('invalid', { files: { args: ['x'] }, web: { url: 'ftp://nope' } });
    expect(await cli('tools', '--config', invalid)).toBe(78);
    expect(io.err).toMatch(
      /is invalid:\n {2}- \[files\] The entry needs "command".*\n {2}- \[web\] url must be an http/,
    );

    expect(await cli('health', '--bogus')).toBe(64);
    expect(io.err).toMatch(/unknown option '--bogus'/);
    expect(await cli('run', '--config', invalid)).toBe(64);
    expect(io.err).toMatch(/missing required argument 'task'/);
    expect(await cli('health', '--log-level', 'loud')).toBe(64);
    expect(io.err).toMatch(/Allowed choices are silent, fatal/);
  });

  it('helps: commands, examples and exit codes', async () => {
    expect(await cli('--help')).toBe(0);
    expect(io.out).toMatch(/Usage: azcore \[options\] \[command\]/);
    for (const command of ['run', 'health', 'tools', 'dashboard'])
      expect(io.out).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    expect(io.out).toMatch(/azcore run --config examples\/mcp\.json "echo hello"/);
    expect(await cli('health', '--help')).toBe(0);
    expect(io.out).toMatch(
      /Exit codes: 0 healthy, 1 degraded, 2 unhealthy, 64 bad command line, 78 bad config\./,
    );
    // The dashboard's help names what an operator can do from the page and what guards it
    // (test/dashboard/actions.browser.test.ts and serveDashboard.test.ts prove each of these).
    expect(await cli('dashboard', '--help')).toBe(0);
    for (const words of [
      /reconnect the server/,
      /isolate or reset its breaker/,
      /run a tool with a\s+form built from its input schema/,
      /from this machine only/,
      /session token/,
      /Inspector panel/,
    ])
      expect(io.out).toMatch(words);
    expect(await cli('--version')).toBe(0);
    expect(io.out).toMatch(/^\d+\.\d+\.\d+/);
  });
});
