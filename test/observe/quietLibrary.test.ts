import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./embeddedRuntime.script.ts', import.meta.url));

/** Runs the embedded-runtime script in a fresh node (tsx) and captures everything it writes. */
function runEmbedded(logLevel?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.AZCORE_LOG_LEVEL;
  if (logLevel) env.AZCORE_LOG_LEVEL = logLevel;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('an embedded runtime without a logger', () => {
  it('writes nothing to stdout or stderr, through refused connects and a failed optional server', async () => {
    const run = await runEmbedded();
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
  }, 60_000);

  it('AZCORE_LOG_LEVEL still turns the default logger on (the same run logs at warn)', async () => {
    const run = await runEmbedded('warn');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('"level":"warn"');
  }, 60_000);
});
