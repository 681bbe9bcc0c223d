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
  /** Installed versions of the peers and libraries the figures depend on. */
  packages: Record<string, string>;
  /**
   * Which MCP SDK packages each side runs on, read from the package.json files: azcore's runtime
   * (its `dependencies`), the bench's and tests' servers (`devDependencies`), and LangChain's adapters.
   */
  mcp: {
    azcore: Record<string, string>;
    servers: Record<string, string>;
    langchainAdapters: Record<string, string>;
  };
  config: BenchConfig;
}

const PACKAGES = [
  'cockatiel',
  'opossum',
  '@langchain/mcp-adapters',
  '@langchain/core',
  'xstate',
  'rxjs',
  'tinybench',
  'tsx',
];

/** Packages of the MCP SDKs that serve tests and the bench (not azcore's runtime). */
const SERVER_SDKS = [
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/node',
  '@modelcontextprotocol/sdk',
];

interface PackageJson {
  version?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function packageJson(path: string): PackageJson {
  try {
    return JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as PackageJson;
  } catch {
    return {};
  }
}

function version(pkg: string): string {
  return packageJson(`../node_modules/${pkg}/package.json`).version ?? 'unknown';
}

/** Installed versions of the `@modelcontextprotocol/*` packages among `deps`. */
function mcpPackages(deps: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    deps.filter((d) => d.startsWith('@modelcontextprotocol/')).map((d) => [d, version(d)]),
  );
}

function mcpSides(): MachineInfo['mcp'] {
  const adapters = packageJson('../node_modules/@langchain/mcp-adapters/package.json');
  return {
    azcore: mcpPackages(Object.keys(packageJson('../package.json').dependencies ?? {})),
    servers: mcpPackages(SERVER_SDKS),
    langchainAdapters: mcpPackages(Object.keys({ ...adapters.dependencies, ...adapters.peerDependencies })),
  };
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
    mcp: mcpSides(),
    config,
  };
}
