// Section 6: what the figures were measured on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { BenchConfig } from './lib/config.js';

export interface MachineInfo {
  date: string;
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  availableParallelism: number;
  totalMemGiB: number;
  /** 1-minute load average when the run started (other processes share the machine). */
  loadAverageAtStart: number;
  commit: string;
  /** The working tree had uncommitted changes under src/ or machines/ when measured. */
  dirtySource: boolean;
  packages: Record<string, string>;
  config: BenchConfig;
}

const PACKAGES = [
  '@modelcontextprotocol/sdk',
  'cockatiel',
  'opossum',
  '@langchain/mcp-adapters',
  'xstate',
  'rxjs',
  'tinybench',
  'tsx',
];

function version(pkg: string): string {
  try {
    const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(config: BenchConfig): MachineInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg()[0] ?? 0,
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirtySource: git(['status', '--porcelain', '--', 'src', 'machines']) !== '',
    packages: Object.fromEntries(PACKAGES.map((p) => [p, version(p)])),
    config,
  };
}
