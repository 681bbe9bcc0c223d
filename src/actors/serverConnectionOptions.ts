import type { InspectionEvent, Observer } from 'xstate';
import type { ConnectionOptions, ProtocolEra } from '../../machines/connection.machine.js';
import type { ConnectionAuthOptions } from '../auth/ConnectionAuth.js';
import type { ServerConfig } from '../config/serverConfig.js';
import type { ErrorKind } from '../errors/AzcoreError.js';
import type { EventBus } from '../events/EventBus.js';
import type { Logger } from '../observe/logger.js';
import type { ElicitationHandler, SamplingHandler } from '../protocol/serverRequests.js';
import type { Random } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import type { Deadline } from '../resilience/Deadline.js';
import type { CircuitBreakerOptions } from './CircuitBreaker.js';
import type { ClientInfo, TransportFactory } from './McpSession.js';
import type { SpawnChild } from './SpawnChild.js';

// The options and per-call types of a ServerConnection (re-exported by ServerConnection.ts).

/** Per-call options of {@link ServerConnection.callTool}. */
export interface CallOptions {
  /** Budget of this call in ms (default: the server's `requestTimeoutMs`), capped by `deadline`. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** A caller's budget (e.g. the team turn's); this call never outlives it. */
  deadline?: Deadline | undefined;
  /** Progress the server reports for this call (`notifications/progress`). */
  onProgress?: ((progress: CallProgress) => void) | undefined;
  /**
   * Each progress report restarts `timeout` (a long job that keeps reporting is not cut off), up to
   * `maxTotalTimeout` ms in all (default: 10 × `timeout`). Never past the caller's `deadline`.
   */
  resetTimeoutOnProgress?: boolean | undefined;
  maxTotalTimeout?: number | undefined;
  /** This call may safely run twice: retry it after a failure mid-call (as `retry.idempotent`, for one call). */
  idempotent?: boolean | undefined;
}

/** One progress report of a running call. */
export interface CallProgress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

/**
 * How calls are retried. By default only failures where the request surely never reached the
 * server are retried (no connection, refused, session expired), so a non-idempotent tool never
 * runs twice. Set `idempotent` to also retry failures after sending (a crash mid-call, a timeout).
 */
export interface CallRetryOptions {
  /** Total attempts, including the first. Default 3. */
  maxAttempts?: number;
  /** Kinds worth another attempt. Default `['connection']`; add `'timeout'` for slow idempotent tools. */
  retryOn?: ErrorKind[];
  /** Tools are safe to run twice: retry listed kinds even when the request may have been processed. */
  idempotent?: boolean;
}

/** Options of a {@link ServerConnection}. Only `config` is required. */
export interface ServerConnectionOptions {
  config: ServerConfig;
  /** Reconnect backoff, restart budget, keepalive. Keepalive defaults to 15 s for HTTP, off for stdio. */
  connection?: Partial<Omit<ConnectionOptions, 'connectTimeoutMs'>> & { pingTimeoutMs?: number };
  breaker?: Omit<CircuitBreakerOptions, 'id' | 'server' | 'clock' | 'bus'>;
  retry?: CallRetryOptions;
  /** Count `isError: true` tool results as breaker failures (MCP says they are results; default false). */
  toolErrorsTripBreaker?: boolean;
  bus?: EventBus;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  clientInfo?: ClientInfo;
  /**
   * Spawns the connection and breaker actors as children of an owner (a team) instead of as root
   * actors: they get the system ids `server:<name>` and `breaker:<name>`, share the owner's clock
   * and inspector, and stop with it.
   */
  spawn?: SpawnChild;
  /** Bring your own transport per connect attempt (in-memory, fault-injecting...); see {@link TransportFactory}. */
  transportFactory?: TransportFactory;
  /**
   * Answers the server's elicitations (forms and URLs, in both protocol eras). Without one, each is
   * declined at once and a `server.request` event says so: a server never waits on nobody.
   */
  elicitation?: ElicitationHandler;
  /** Answers `sampling/createMessage` (opt-in; see `createSamplingHandler` for a LangChain model). */
  sampling?: SamplingHandler;
  /**
   * Extra `params._meta` entries for each outgoing `tools/call`, e.g. W3C trace context with
   * `openTelemetryRequestMeta()` from `azcore/otel`. Called once per attempt, right after its
   * `call.started` event; `undefined` adds nothing.
   */
  requestMeta?: (request: RequestMetaInfo) => Record<string, unknown> | undefined;
  /**
   * OAuth for a server whose config has `oauth`: the token store, the handler that shows a person
   * the login URL, refresh timing (docs/auth.md). Ignored without `oauth` in the config.
   */
  auth?: ConnectionAuthOptions;
}

/** The options read only while a connection is built: a connection does not keep them. */
type ConstructionOption = 'config' | 'bus' | 'logger' | 'clock' | 'transportFactory' | 'clientInfo';
const CONSTRUCTION_OPTIONS: ReadonlySet<string> = new Set<ConstructionOption>([
  'config',
  'bus',
  'logger',
  'clock',
  'transportFactory',
  'clientInfo',
]);

/** The options a connection reads after it is built (breaker, retry, handlers...). */
export type LaterOptions = Omit<ServerConnectionOptions, ConstructionOption>;

/** The later options of a connection given none: one shared object. */
const NO_LATER_OPTIONS: LaterOptions = Object.freeze({});

/**
 * The options a connection keeps: the caller's object, or, when it holds only options read while
 * building (the config, bus, logger...), one shared empty object, so the caller's options and the
 * raw config they hold are not kept alive by an idle connection (heap per idle connection).
 */
export function laterOptions(options: ServerConnectionOptions): LaterOptions {
  for (const key in options) if (!CONSTRUCTION_OPTIONS.has(key)) return options;
  return NO_LATER_OPTIONS;
}

/** What {@link ServerConnectionOptions.requestMeta} is told about the request it decorates. */
export interface RequestMetaInfo {
  method: 'tools/call';
  server: string;
  tool: string;
  callId: number;
  attempt: number;
}

/** The protocol a live connection speaks. */
export interface NegotiatedProtocol {
  /** `legacy` = 2025 (`initialize`), `modern` = 2026-07-28 and later (`server/discover`). */
  era: ProtocolEra;
  /** The negotiated revision, e.g. `2025-11-25` or `2026-07-28`. */
  version: string | undefined;
}

/** The options of a call made without any: one shared object, none built per call. */
export const NO_OPTIONS: CallOptions = Object.freeze({});

/** The kinds a call is retried on by default (`retry.retryOn`); shared, never mutated. */
export const DEFAULT_RETRY_ON: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['connection']);
