// What an in-process `runCli` prints: console.log and process.stdout into `out`, process.stderr
// into `err`, so a test can assert on both. The spies stay until vi.restoreAllMocks() (each test
// file's afterEach).
import { vi } from 'vitest';

export interface CliOutput {
  readonly out: string;
  readonly err: string;
}

/** Starts a new capture (both texts empty); `onErr` sees the whole stderr text after each write. */
export function captureCliOutput(onErr?: (err: string) => void): CliOutput {
  const output = { out: '', err: '' };
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    output.out += `${parts.join(' ')}\n`;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.err += String(chunk);
    onErr?.(output.err);
    return true;
  });
  return output;
}
