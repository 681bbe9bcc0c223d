import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { MAX_TIMER_MS } from '../resilience/durations.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from './defaults.js';
import { mcpServersEntries } from './mcpServersJson.js';

/** What a server name may look like: it becomes part of tool names (`server__tool`) and log keys. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Fields every server config has, whatever its transport. */
export interface ServerConfigBase {
  /** Unique key of the server: 1-64 of `A-Z a-z 0-9 _ . -`. */
  name: string;
  /** Budget for spawning/connecting and the MCP initialize handshake. Default 30 000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Default budget of one request. Default 60 000 ms. */
  requestTimeoutMs?: number | undefined;
  /** When true, a team starts without this server if it cannot connect. */
  optional?: boolean | undefined;
  /**
   * MCP protocol era: `'auto'` (default) probes with `server/discover` and falls back to the 2025
   * `initialize`; `'legacy'` speaks 2025 only, without a probe; a version such as `'2026-07-28'` pins it.
   */
  protocolVersion?: string | undefined;
  /** Roots (directories or other URIs) this client offers the server; declared only when set. */
  roots?: { uri: string; name?: string | undefined }[] | undefined;
}

/** A server spawned as a child process, speaking newline-delimited JSON-RPC on stdin/stdout. */
export interface StdioServerConfig extends ServerConfigBase {
  transport: 'stdio';
  /** Executable: an absolute path or a name on PATH. Never run through a shell. */
  command: string;
  args?: string[] | undefined;
  cwd?: string | undefined;
  /** Extra environment for the child; wins over everything inherited. */
  env?: Record<string, string> | undefined;
  /** Names of variables of this process's environment to pass through, beyond the SDK's safe default set. */
  inheritEnv?: string[] | undefined;
  /** Largest message accepted from the server. Default 8 MiB. */
  maxMessageBytes?: number | undefined;
}

/** Fields shared by both HTTP transports. */
export interface HttpServerConfigBase extends ServerConfigBase {
  /** Endpoint, `http://` or `https://`. */
  url: string;
  /** Extra request headers, e.g. `Authorization`. */
  headers?: Record<string, string> | undefined;
  /** The SDK's OAuth provider, passed to the transport unchanged (prefer `oauth`, which azcore runs for you). */
  authProvider?: OAuthClientProvider | undefined;
  /** OAuth 2.1: azcore discovers, registers, logs in, stores and refreshes (docs/auth.md). `{}` is enough for most servers. */
  oauth?: OAuthConfig | undefined;
  /**
   * Largest message accepted from the server: one JSON response body or one SSE event's data.
   * A larger response fails only its request (ResourceError RESULT_TOO_LARGE). Default 8 MiB,
   * applied by the transport (parseServerConfig leaves it unset).
   */
  maxMessageBytes?: number | undefined;
}

/**
 * How azcore gets a token for an HTTP server protected by OAuth 2.1 (JSON-safe, so it fits in an
 * `mcpServers` file). Client identity, in the order the spec asks: `clientMetadataUrl` (a Client ID
 * Metadata Document), else dynamic registration, else the pre-registered `clientId`.
 *
 * @example
 * { "url": "https://mcp.example.com/mcp", "oauth": {} }                       // a person logs in once
 * { "url": "https://mcp.example.com/mcp", "oauth": { "grant": "client_credentials",
 *   "clientId": "svc", "clientSecret": "..." } }                                  // machine to machine
 */
export interface OAuthConfig {
  /**
   * `authorization_code` (default: a person logs in once, PKCE S256), `client_credentials` (no
   * person), or `jwt_bearer` (enterprise-managed: an ID-JAG from your identity provider, supplied by
   * the connection's `auth.assertion`, is exchanged for a token; RFC 7523).
   */
  grant?: 'authorization_code' | 'client_credentials' | 'jwt_bearer' | undefined;
  /** A pre-registered client id (skips dynamic registration). */
  clientId?: string | undefined;
  /** Its secret, for `client_secret_basic` / `client_secret_post`. */
  clientSecret?: string | undefined;
  /** `private_key_jwt`: the client's private key (PKCS#8 PEM), inline or in a file. */
  privateKey?: string | undefined;
  privateKeyFile?: string | undefined;
  /** JWS algorithm of the client assertion. Default `ES256`. */
  signingAlgorithm?: string | undefined;
  /** How the client authenticates at the token endpoint; by default what its credentials allow. */
  tokenEndpointAuthMethod?:
    | 'none'
    | 'client_secret_basic'
    | 'client_secret_post'
    | 'private_key_jwt'
    | undefined;
  /** An https URL whose document describes the client (Client ID Metadata Document), used as the client id. */
  clientMetadataUrl?: string | undefined;
  /** The name shown on the consent screen. Default `azcore`. */
  clientName?: string | undefined;
  /** Scopes to ask for when the server does not say (its `WWW-Authenticate` or metadata wins). */
  scope?: string | undefined;
  /** Where the authorization server sends the browser back. Default: a loopback listener on 127.0.0.1 started for the login. */
  redirectUri?: string | undefined;
  /**
   * Accept authorization-server metadata whose `issuer` differs from where it was found (RFC 8414
   * 3.3 says reject). Only for 2025-03-26 servers that publish no protected-resource metadata and
   * whose authorization server lives under a path; it weakens mix-up protection. Default false.
   */
  allowIssuerMismatch?: boolean | undefined;
}

/** A server reached over MCP Streamable HTTP (the current HTTP transport). */
export interface StreamableHttpServerConfig extends HttpServerConfigBase {
  transport: 'streamableHttp';
}

/** A server reached over the deprecated HTTP+SSE transport. */
export interface SseServerConfig extends HttpServerConfigBase {
  transport: 'sse';
}

/**
 * How to reach one MCP server. Discriminated by `transport`.
 *
 * @example
 * const files: ServerConfig = {
 *   name: 'files',
 *   transport: 'stdio',
 *   command: 'npx',
 *   args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/data'],
 * };
 */
export type ServerConfig = StdioServerConfig | StreamableHttpServerConfig | SseServerConfig;

/** The transport names a {@link ServerConfig} may carry. */
export type TransportKind = ServerConfig['transport'];

/** What to write for each field: the tail of "<field> must be ...". */
const FIELD_RULES: Record<string, string> = {
  name: 'must be 1-64 letters, digits, "_", "." or "-", e.g. "files"',
  transport: 'must be "stdio", "streamableHttp" or "sse"',
  command: 'must be a non-empty string, e.g. "npx"',
  args: 'must be an array of strings, e.g. ["-y", "@modelcontextprotocol/server-memory"]',
  cwd: 'must be a non-empty string naming a directory, e.g. "/srv/data"',
  env: 'must be an object of string values, e.g. { "API_KEY": "..." }',
  inheritEnv: 'must be an array of environment variable names, e.g. ["HTTPS_PROXY"]',
  maxMessageBytes: 'must be a positive integer number of bytes, e.g. 8388608',
  connectTimeoutMs: `must be a positive integer number of milliseconds, e.g. 30000, at most ${MAX_TIMER_MS} (about 24.8 days: a longer timer fires at once)`,
  requestTimeoutMs: `must be a positive integer number of milliseconds, e.g. 60000, at most ${MAX_TIMER_MS} (about 24.8 days: a longer timer fires at once)`,
  optional: 'must be true or false',
  protocolVersion: 'must be "auto", "legacy" or a protocol version such as "2026-07-28"',
  roots: 'must be an array of { "uri": "file:///srv/data", "name": "data" }',
  url: 'must be an http:// or https:// URL, e.g. "http://127.0.0.1:3001/mcp"',
  headers: 'must be an object of string values, e.g. { "Authorization": "Bearer <token>" }',
  authProvider: "must be the SDK's OAuthClientProvider (an object with tokens(), clientInformation(), ...)",
  oauth:
    'must be an object such as {} or { "grant": "client_credentials", "clientId": "svc", "clientSecret": "..." } (fields: grant, clientId, clientSecret, privateKey, privateKeyFile, signingAlgorithm, tokenEndpointAuthMethod, clientMetadataUrl, clientName, scope, redirectUri, allowIssuerMismatch)',
};

// Built on the first parse, not at import: zod schemas cost milliseconds to build, and importing
// azcore/connection should not pay them before a config is read.
function buildSchemas() {
  const positiveInt = z.int().positive();
  /** A duration armed as a timer: past MAX_TIMER_MS, Node would fire it after 1 ms. */
  const timerMs = positiveInt.max(MAX_TIMER_MS);
  const stringRecord = z.record(z.string(), z.string());

  const common = {
    name: z.string().regex(SERVER_NAME_PATTERN),
    connectTimeoutMs: timerMs.optional(),
    requestTimeoutMs: timerMs.optional(),
    optional: z.boolean().optional(),
    protocolVersion: z
      .union([z.literal('auto'), z.literal('legacy'), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)])
      .optional(),
    roots: z.array(z.strictObject({ uri: z.url(), name: z.string().optional() })).optional(),
  };

  const httpUrl = z.string().refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  });

  const authProvider = z.custom<OAuthClientProvider>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { tokens?: unknown }).tokens === 'function' &&
      typeof (v as { clientInformation?: unknown }).clientInformation === 'function',
  );

  const oauth = z.strictObject({
    grant: z.enum(['authorization_code', 'client_credentials', 'jwt_bearer']).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    signingAlgorithm: z.string().min(1).optional(),
    tokenEndpointAuthMethod: z
      .enum(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .optional(),
    clientMetadataUrl: httpUrl.optional(),
    clientName: z.string().min(1).optional(),
    scope: z.string().optional(),
    redirectUri: httpUrl.optional(),
    allowIssuerMismatch: z.boolean().optional(),
  });

  const http = {
    ...common,
    url: httpUrl,
    headers: stringRecord.optional(),
    authProvider: authProvider.optional(),
    oauth: oauth.optional(),
    maxMessageBytes: positiveInt.optional(),
  };

  return {
    stdio: z.strictObject({
      ...common,
      transport: z.literal('stdio'),
      command: z.string().trim().min(1),
      args: z.array(z.string()).optional(),
      cwd: z.string().min(1).optional(),
      env: stringRecord.optional(),
      inheritEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).optional(),
      maxMessageBytes: positiveInt.optional(),
    }),
    streamableHttp: z.strictObject({ ...http, transport: z.literal('streamableHttp') }),
    sse: z.strictObject({ ...http, transport: z.literal('sse') }),
  } as const;
}

const TRANSPORTS = ['stdio', 'streamableHttp', 'sse'] as const;
type Transport = (typeof TRANSPORTS)[number];
let schemas: ReturnType<typeof buildSchemas> | undefined;
const schemasOf = () => {
  schemas ??= buildSchemas();
  return schemas;
};

function isTransport(v: unknown): v is Transport {
  return typeof v === 'string' && (TRANSPORTS as readonly string[]).includes(v);
}

/**
 * Validates one server config and fills in the default timeouts and size cap. Every problem is
 * reported at once in a {@link ConfigurationError} whose message names the server, the field, and
 * what to write instead.
 *
 * @example
 * const cfg = parseServerConfig({ name: 'memory', transport: 'stdio', command: 'mcp-server-memory' });
 * cfg.requestTimeoutMs; // 60000
 *
 * parseServerConfig({ name: 'files', transport: 'stdio', command: '' });
 * // throws ConfigurationError: [files] command must be a non-empty string, e.g. "npx"
 */
export function parseServerConfig(input: unknown): ServerConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigurationError(
      'A server config must be an object, e.g. { "name": "files", "transport": "stdio", "command": "npx" }.',
    );
  }
  const record = input as Record<string, unknown>;
  const server = typeof record.name === 'string' && record.name !== '' ? record.name.slice(0, 64) : undefined;
  const transport = record.transport;
  if (!isTransport(transport)) {
    throw new ConfigurationError(transportProblem(record), { server });
  }
  const simple = transport === 'stdio' ? simpleStdioConfig(record) : undefined;
  if (simple) return simple;
  return parseWithSchema(record, server, transport);
}

/**
 * The schema's answer for any config (the slow path, and the reference the fast path is tested
 * against). @internal exported for test/config/serverConfig.fastPath.test.ts
 */
export function parseWithSchema(
  input: Record<string, unknown>,
  server: string | undefined,
  transport: TransportKind,
): ServerConfig {
  const parsed = schemasOf()[transport].safeParse(input);
  if (!parsed.success) {
    throw new ConfigurationError(describeIssues(parsed.error.issues, transport), {
      server,
      cause: parsed.error,
    });
  }
  const cfg = parsed.data;
  const withTimeouts = {
    ...cfg,
    connectTimeoutMs: cfg.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: cfg.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  if (withTimeouts.transport === 'stdio') {
    return { ...withTimeouts, maxMessageBytes: withTimeouts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES };
  }
  return withTimeouts;
}

/** The fields of the commonest stdio config, which {@link simpleStdioConfig} checks by hand. */
const SIMPLE_STDIO_FIELDS: ReadonlySet<string> = new Set(['name', 'transport', 'command', 'args']);

/**
 * The commonest stdio config (only `name`, `transport`, `command` and `args`, all valid) checked by
 * hand: the schema costs microseconds per connection, and its output spills properties out of the
 * object. The same object as the schema would return, fields in the same order; undefined for
 * anything else (an invalid or untrimmed value, another field), which the schema then judges.
 */
function simpleStdioConfig(record: Record<string, unknown>): ServerConfig | undefined {
  // for...in, as the schema's unknown-key check: an inherited enumerable field goes the slow way.
  for (const key in record) if (!SIMPLE_STDIO_FIELDS.has(key)) return undefined;
  const { name, command } = record;
  if (typeof name !== 'string' || !SERVER_NAME_PATTERN.test(name)) return undefined;
  if (typeof command !== 'string' || command === '' || command.trim() !== command) return undefined;
  if (!('args' in record)) {
    return {
      name,
      transport: 'stdio',
      command,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    };
  }
  const args = record.args;
  if (!Array.isArray(args)) return undefined;
  // A fresh plain array, as the schema returns (a hole or a non-string goes the slow way).
  const copy: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i];
    if (typeof arg !== 'string') return undefined;
    copy.push(arg);
  }
  return {
    name,
    transport: 'stdio',
    command,
    args: copy,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  };
}

/**
 * Reads the `mcpServers` file format shared by Claude Desktop, Cursor and VS Code (VS Code's
 * top-level `servers` key is accepted too) into validated {@link ServerConfig}s, in file order.
 * An entry with `command` is a stdio server; one with `url` is Streamable HTTP unless
 * `type` is `"sse"`. Entries with `"disabled": true` are skipped; keys azcore does not use
 * (`autoApprove`, ...) are ignored. Accepts the parsed object or the JSON text.
 *
 * @example
 * const servers = parseMcpServersJson({
 *   mcpServers: {
 *     memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
 *     search: { url: 'https://search.example.com/mcp', headers: { Authorization: 'Bearer t' } },
 *   },
 * });
 * servers.map((s) => s.transport); // ['stdio', 'streamableHttp']
 */
export function parseMcpServersJson(input: unknown): ServerConfig[] {
  return mcpServersEntries(input).map(parseServerConfig);
}

function transportProblem(record: Record<string, unknown>): string {
  const guess =
    'command' in record
      ? ' This one has a command: write "transport": "stdio".'
      : 'url' in record
        ? ' This one has a url: write "transport": "streamableHttp" (or "sse" for an old HTTP+SSE server).'
        : '';
  const seen = record.transport === undefined ? 'is missing' : `is ${JSON.stringify(record.transport)}`;
  return `transport ${seen}; it ${FIELD_RULES.transport}.${guess}`;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], transport: Transport): string {
  const parts = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.path.length > 0) {
      const field = String(issue.path[0]);
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
      return `${issue.path.map(String).join('.')}: unknown field ${keys}; ${field} ${FIELD_RULES[field] ?? ''}`.trim();
    }
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(schemasOf()[transport].shape).join(', ');
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
      return `unknown field ${keys} for a ${transport} server; known fields: ${known}`;
    }
    const field = String(issue.path[0] ?? 'config');
    const where = issue.path.map(String).join('.');
    const rule = FIELD_RULES[field] ?? issue.message;
    return where === field ? `${field} ${rule}` : `${where}: ${issue.message}; ${field} ${rule}`;
  });
  return `${[...new Set(parts)].join('; ')}.`;
}
