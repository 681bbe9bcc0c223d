import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/client';
import { serializeMessage } from '@modelcontextprotocol/client';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../config/defaults.js';
import type { StdioServerConfig } from '../config/serverConfig.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { childEnvironment } from './childEnvironment.js';
import { FairDrain } from './FairDrain.js';
import { LineSplitter } from './LineSplitter.js';
import { StdioMessageReader } from './StdioMessageReader.js';

/** How a server process ended: an exit code, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** Hooks and knobs of a {@link StdioProcessTransport} that are not part of the server config. */
export interface StdioProcessTransportOptions {
  /** Each line the server writes to stderr (without the newline; long lines are truncated). */
  onStderr?(line: string): void;
  /** Called once when the process has ended, just before `onclose`. */
  onExit?(info: ExitInfo): void;
  /** How long `close()` waits after SIGTERM before SIGKILL. Default 2000 ms. */
  killGraceMs?: number;
  /** Timer source for the kill grace period. Default: wall clock, unref'd. */
  clock?: Clock;
}

const DEFAULT_KILL_GRACE_MS = 2_000;
const MAX_STDERR_LINE_BYTES = 64 * 1024;

type State = 'new' | 'starting' | 'open' | 'closing' | 'closed';

/**
 * The MCP stdio client transport, rebuilt so that the server runs in its own process group:
 * `close()` (and the server's own exit) take down everything it started, including the
 * grandchildren `npx`/`uvx`/shell wrappers leave behind. The child gets a minimal environment
 * (see {@link childEnvironment}), stderr arrives line by line, a non-JSON stdout line is
 * reported and skipped, and a message above `maxMessageBytes` becomes a JSON-RPC error for the
 * request it answers instead of a hang.
 *
 * @example
 * const transport = new StdioProcessTransport(
 *   { name: 'memory', transport: 'stdio', command: 'mcp-server-memory' },
 *   { onStderr: (line) => log.debug(line) },
 * );
 * await new Client({ name: 'app', version: '1.0.0' }).connect(transport);
 */
export class StdioProcessTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  private readonly server: string;
  private readonly clock: Clock;
  private readonly killGraceMs: number;
  private state: State = 'new';
  private child: ChildProcessWithoutNullStreams | undefined;
  private exit: ExitInfo | undefined;
  private timer: unknown;
  private readonly reader: StdioMessageReader;
  private drain: FairDrain | undefined;
  private resolveClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    private readonly config: StdioServerConfig,
    private readonly options: StdioProcessTransportOptions = {},
  ) {
    this.server = config.name;
    this.clock = options.clock ?? systemClock;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.reader = new StdioMessageReader({
      server: this.server,
      maxMessageBytes: config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      deliver: (message) => this.onmessage?.(message),
      report: (error) => this.onerror?.(error),
      reply: (message) => void this.send(message).catch(() => {}),
    });
  }

  /** Process id of the server (also its process group id); undefined before start or after a failed spawn. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Always null: stderr arrives line by line through `onStderr`. Its presence (with `pid`) is how
   * the SDK recognises a stdio transport for its era probe: a probe that gets no answer then means
   * a 2025 server (fall back to `initialize`), not an outage.
   */
  get stderr(): null {
    return null;
  }

  /** How the process ended, once it has. */
  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  /** Spawns the server; rejects with a classified {@link ConnectionError} when it cannot be started. */
  start(): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(
        new Error('StdioProcessTransport already started; create a new one per connection.'),
      );
    }
    this.state = 'starting';
    const { command, args = [], cwd, env, inheritEnv } = this.config;
    return new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => {
        this.clock.clearTimeout(this.timer);
        this.state = 'closed';
        this.resolveClosed();
        reject(classifyError(e, { server: this.server }));
      };
      if (cwd !== undefined && !isDirectory(cwd)) {
        fail(
          new ConnectionError(`The working directory ${JSON.stringify(cwd)} does not exist.`, {
            server: this.server,
            code: 'BAD_CWD',
            retryable: false,
            hint: 'Fix `cwd` in the server config.',
          }),
        );
        return;
      }
      let child: ChildProcessWithoutNullStreams;
      try {
        child = spawn(command, args, {
          cwd,
          env: childEnvironment(inheritEnv, env),
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
          shell: false,
          windowsHide: true,
        });
      } catch (e) {
        fail(e);
        return;
      }
      this.child = child;
      let spawned = false;
      child.once('spawn', () => {
        spawned = true;
        if (this.state === 'starting') this.state = 'open';
        resolve();
      });
      // `on`, not `once`: a second 'error' with no listener would crash the host process.
      child.on('error', (e) => {
        if (!spawned) {
          // No process exists, so no 'exit' will follow: report the failure and stop here.
          this.child = undefined;
          fail(e);
          this.onclose?.();
        } else {
          this.onerror?.(classifyError(e, { server: this.server }));
        }
      });
      child.once('exit', (code, signal) => this.onChildExit({ code, signal }));
      child.once('close', () => this.finish());
      this.wireStreams(child);
    });
  }

  /** Writes one message; throws a {@link ConnectionError} when the process is gone. */
  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (this.state !== 'open' || this.exit || !stdin || !stdin.writable) {
      return Promise.reject(
        new ConnectionError('The server process is not running.', {
          server: this.server,
          code: 'NOT_CONNECTED',
          hint: 'The runtime reconnects on its own; retry after it is ready.',
        }),
      );
    }
    this.reader.trackOutgoing(message);
    return new Promise<void>((resolve, reject) => {
      stdin.write(serializeMessage(message), (err) => {
        if (err) reject(classifyError(err, { server: this.server }));
        else resolve();
      });
    });
  }

  /**
   * Ends stdin, sends SIGTERM to the whole process group, and SIGKILL after the grace period;
   * resolves once the server has exited. Safe to call any number of times.
   */
  async close(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'closed';
      this.resolveClosed();
      this.onclose?.();
      return;
    }
    if (this.state === 'open' || this.state === 'starting') {
      this.state = 'closing';
      this.child?.stdin.end();
      this.signalGroup('SIGTERM');
      this.timer = this.clock.setTimeout(() => this.signalGroup('SIGKILL'), this.killGraceMs);
    }
    await this.closed;
  }

  private wireStreams(child: ChildProcessWithoutNullStreams): void {
    // Fair to other servers: a burst of output is read a budget's worth per event-loop turn.
    this.drain = new FairDrain((chunk) => this.reader.push(chunk), child.stdout);
    child.stdout.on('data', (chunk: Buffer) => this.drain?.push(chunk));
    child.stdout.on('error', (e) => this.onerror?.(classifyError(e, { server: this.server })));

    const onStderr = this.options.onStderr;
    const stderr = new LineSplitter(MAX_STDERR_LINE_BYTES, {
      line: (text) => onStderr?.(text),
      oversized: (info) => {
        if (!info.ended) onStderr?.(`${info.head}... [line truncated at ${MAX_STDERR_LINE_BYTES} bytes]`);
      },
    });
    // Always drained, hook or not: a full stderr pipe would block the server.
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr.on('error', () => {}); // stderr is diagnostics only; its failure is not the server's
    child.stdin.on('error', (e) => {
      // EPIPE after the server died is expected; 'exit' reports that.
      if (this.state === 'open' && !this.exit) this.onerror?.(classifyError(e, { server: this.server }));
    });
  }

  private onChildExit(info: ExitInfo): void {
    this.exit = info;
    const child = this.child;
    if (!child || child.stdout.readableEnded) return;
    // stdout still open after the leader exited: a straggler in its group holds the pipe.
    this.signalGroup('SIGKILL');
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      // The holder escaped the group (setsid): stop waiting for it.
      child.stdout.destroy();
      child.stderr.destroy();
      this.finish();
    }, this.killGraceMs);
  }

  /** The process has exited and its pipes are closed (or given up on): report it once. */
  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clock.clearTimeout(this.timer);
    this.drain?.flush();
    this.reader.reset();
    // Anything left in the group now is an orphan of this server.
    this.signalGroup('SIGKILL');
    this.options.onExit?.(this.exit ?? { code: null, signal: null });
    this.onclose?.();
    this.resolveClosed();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
