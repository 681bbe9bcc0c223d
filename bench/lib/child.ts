import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SectionRun<T> {
  result: T;
  wallMs: number;
}

/**
 * Runs one section in a fresh Node process (own heap, own flags, nothing left over from the
 * previous section) from the compiled bench (see compileForBench) and returns what it wrote.
 * Progress lines go to this process's stderr.
 */
export function runSection<T>(
  sectionEntry: string,
  name: string,
  nodeFlags: readonly string[],
  timeoutMs: number,
): Promise<SectionRun<T>> {
  const dir = mkdtempSync(join(tmpdir(), 'azcore-bench-'));
  const out = join(dir, `${name}.json`);
  const started = performance.now();
  return new Promise<SectionRun<T>>((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, sectionEntry, name, out], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code !== 0) {
          const why =
            signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit code ${code}, signal ${signal}`;
          throw new Error(`bench section ${name} failed (${why})`);
        }
        const result = JSON.parse(readFileSync(out, 'utf8')) as T;
        resolve({ result, wallMs: performance.now() - started });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
