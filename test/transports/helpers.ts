// Shared helpers for transport tests: real processes, observed through /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import type { StdioServerConfig } from '../../src/config/serverConfig.js';
import {
  type CreateTransportOptions,
  createTransport,
  type TransportHandle,
} from '../../src/transports/index.js';

export const RAW_RESPONDER = fileURLToPath(new URL('./rawResponder.mjs', import.meta.url));
export const LOOPBACK_ONLY = fileURLToPath(new URL('./loopbackOnly.mjs', import.meta.url));
export const bin = (name: string): string =>
  fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

/** A stdio config that runs rawResponder.mjs with the given flags. */
export function rawResponder(name: string, flags: string[] = [], extra: Partial<StdioServerConfig> = {}) {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [RAW_RESPONDER, ...flags],
    ...extra,
  } satisfies StdioServerConfig;
}

/** Values pushed over time; `next()` resolves with the first one (seen or future) that matches. */
export class Collector<T> {
  readonly items: T[] = [];
  private waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];

  push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(item)) return true;
      w.resolve(item);
      return false;
    });
  };

  next(pred: (t: T) => boolean = () => true): Promise<T> {
    const seen = this.items.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

export interface Connected {
  client: Client;
  handle: TransportHandle;
  stderr: Collector<string>;
  exits: Collector<{ code: number | null; signal: string | null }>;
  errors: Collector<Error>;
  closed: Promise<void>;
}

const open = new Set<TransportHandle>();

/** Connects an SDK Client (with `clientOptions`, e.g. an era pin) through createTransport, recording hooks and errors. */
export async function connect(
  config: Parameters<typeof createTransport>[0],
  options: CreateTransportOptions = {},
  clientOptions?: ConstructorParameters<typeof Client>[1],
): Promise<Connected> {
  const stderr = new Collector<string>();
  const exits = new Collector<{ code: number | null; signal: string | null }>();
  const errors = new Collector<Error>();
  const handle = createTransport(config, { ...options, onStderr: stderr.push, onExit: exits.push });
  open.add(handle);
  const client = new Client({ name: 'azcore-test', version: '0.0.0' }, clientOptions);
  const closed = new Promise<void>((resolve) => {
    client.onclose = resolve;
  });
  client.onerror = errors.push;
  await client.connect(handle.transport);
  return { client, handle, stderr, exits, errors, closed };
}

/** Closes every handle `connect()` opened (for afterEach). */
export async function closeAll(): Promise<void> {
  const handles = [...open];
  open.clear();
  await Promise.all(handles.map((h) => h.close()));
}

/** Kernel flag of a task that has begun exiting (its fds are being closed; it is dead for our purposes). */
const PF_EXITING = 0x4;

function stat(pid: number): { state: string; ppid: number; pgrp: number; exiting: boolean } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      state: f[0] ?? '?',
      ppid: Number(f[1]),
      pgrp: Number(f[2]),
      exiting: (Number(f[6]) & PF_EXITING) !== 0,
    };
  } catch {
    return undefined;
  }
}

/** Live pids (not zombie, not exiting) whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.pgrp === pgid && s.state !== 'Z' && !s.exiting) out.push(Number(entry));
  }
  return out;
}

/** The environment a live process was started with. */
export function environOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}
