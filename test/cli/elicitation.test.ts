import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { v2StdioFixture } from '../fixtures/index.js';
import { useTempDir } from '../support/tempDir.js';

const root = new URL('../../', import.meta.url).pathname;
const MAIN = join(root, 'src', 'cli', 'main.ts');

// A 2026-07-28 fixture whose tools `ask` (a form {name}) and `ask_url` elicit from the client.
const dir = useTempDir('azcore-cli-elicit-');
const CONFIG = join(dir, 'mcp.json');
writeFileSync(CONFIG, JSON.stringify({ mcpServers: { fx: v2StdioFixture({ era: '2026' }) } }));

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface Run {
  child: ChildProcess;
  /** Resolves once `pattern` has appeared in the output read so far (stderr, or the pty). */
  waitFor(pattern: RegExp): Promise<void>;
  answer(line: string): void;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Runs the real `azcore` bin in a child process. Its stdin is a pipe the test never ends, so a CLI
 * that kept reading stdin after the run would never exit. With `pty`, the command runs inside
 * `script` (util-linux), so its stdin, stdout and stderr are a terminal and its output is read
 * from `script`'s stdout.
 */
function azcore(args: string[], options: { pty?: boolean } = {}): Run {
  const command = [process.execPath, '--import', 'tsx', MAIN, ...args];
  const child = options.pty
    ? spawn('script', ['-qfec', command.map(shellQuote).join(' '), '/dev/null'], {
        cwd: root,
        env: { ...process.env, OPENAI_API_KEY: '', TERM: 'dumb' },
      })
    : spawn(command[0]!, command.slice(1), { cwd: root, env: { ...process.env, OPENAI_API_KEY: '' } });
  children.add(child);
  // A CLI that exits before its answer is written must fail the test on its transcript, not on EPIPE.
  child.stdin?.on('error', () => {});
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    const seen = options.pty ? plain(stdout) : stderr;
    for (const w of [...waiters]) {
      if (w.pattern.test(seen)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code) => {
      children.delete(child);
      for (const w of waiters.splice(0)) w.resolve();
      resolve({ code, stdout: options.pty ? plain(stdout) : stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitFor: (pattern) =>
      new Promise((resolve) => {
        waiters.push({ pattern, resolve });
        check();
      }),
    answer: (line) => child.stdin?.write(`${line}${options.pty ? '\r' : '\n'}`),
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal output is what is being cleaned
const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
const ASK = 'use: fx__ask {"message":"Who are you?"}';
const FORM_PROMPT = 'fx asks: Who are you?\n  name (string, required): ';

describe('azcore run answers elicitations at the terminal (2026-07-28 stdio fixture)', () => {
  it('stdin is not a terminal: declined at once, with one line saying so, and the run ends', async () => {
    const { done } = azcore(['run', '--config', CONFIG, ASK]);
    const { code, stdout, stderr } = await done;
    const notes = stderr.split('\n').filter((l) => l.startsWith('azcore: '));
    expect(notes).toEqual([
      'azcore: fx asked "Who are you?" (a form: name); declined because stdin is not a terminal (pass --elicitation ask to answer from stdin).',
    ]);
    expect(stderr).not.toContain('name (string');
    expect(stdout).toContain('{"action":"decline","content":null}');
    expect(code).toBe(0);
  }, 90_000);

  it('--elicitation ask: each field is asked on stderr and the tool gets the answer', async () => {
    const run = azcore(['run', '--config', CONFIG, '--elicitation', 'ask', ASK]);
    await run.waitFor(/name \(string, required\): $/);
    run.answer('Ada Lovelace');
    const { code, stdout, stderr } = await run.done;
    expect(stderr).toContain(`${FORM_PROMPT}Ada Lovelace\n`);
    expect(stdout).toContain('{"action":"accept","content":{"name":"Ada Lovelace"}}');
    expect(code).toBe(0);
  }, 90_000);

  it('--elicitation ask: an empty answer to a required field without default declines the form', async () => {
    const run = azcore(['run', '--config', CONFIG, '--elicitation', 'ask', ASK]);
    await run.waitFor(/name \(string, required\): $/);
    run.answer('');
    const { code, stdout, stderr } = await run.done;
    expect(stderr).toContain(`${FORM_PROMPT}\n  no answer for name: declined\n`);
    expect(stdout).toContain('{"action":"decline","content":null}');
    expect(code).toBe(0);
  }, 90_000);

  it('--elicitation ask: a URL is printed with its message and accepted only when confirmed', async () => {
    const task = [
      'use: fx__ask_url {"url":"https://example.com/first"}',
      'use: fx__ask_url {"url":"https://example.com/second"}',
    ].join('\n');
    const run = azcore(['run', '--config', CONFIG, '--elicitation', 'ask', task]);
    const confirm = '  Open it, then confirm here [y/N]: ';
    await run.waitFor(/example\.com\/first\n {2}Open it, then confirm here \[y\/N\]: $/);
    run.answer('y');
    await run.waitFor(/example\.com\/second\n {2}Open it, then confirm here \[y\/N\]: $/);
    run.answer('no thanks');
    const { code, stdout, stderr } = await run.done;
    expect(stderr).toContain(
      `fx asks you to open a URL: Open this page\n  https://example.com/first\n${confirm}y\n`,
    );
    expect(stderr).toContain(
      `fx asks you to open a URL: Open this page\n  https://example.com/second\n${confirm}no thanks\n  declined\n`,
    );
    expect(stdout).toMatch(/example\.com\/first"\}: \{"action":"accept"\}/);
    expect(stdout).toMatch(/example\.com\/second"\}: \{"action":"decline"\}/);
    expect(code).toBe(0);
  }, 90_000);

  it('--elicitation decline: declined at once, with one line saying so', async () => {
    const { code, stdout, stderr } = await azcore([
      'run',
      '--config',
      CONFIG,
      '--elicitation',
      'decline',
      'use: fx__ask_url',
    ]).done;
    expect(stderr.split('\n').filter((l) => l.startsWith('azcore: '))).toEqual([
      'azcore: fx asked to open https://example.com/azcore-fixture ("Open this page"); declined (--elicitation decline).',
    ]);
    expect(stdout).toContain('{"action":"decline"}');
    expect(code).toBe(0);
  }, 90_000);

  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/script'))(
    'on a terminal (a pty), the default mode asks',
    async () => {
      const run = azcore(['run', '--config', CONFIG, ASK], { pty: true });
      await run.waitFor(/name \(string, required\): $/);
      run.answer('Grace');
      const { code, stdout } = await run.done;
      expect(stdout).toContain(`${FORM_PROMPT}Grace\n`);
      expect(stdout).toContain('{"action":"accept","content":{"name":"Grace"}}');
      expect(code).toBe(0);
    },
    90_000,
  );
});
