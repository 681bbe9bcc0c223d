import { ConfigurationError } from '../errors/ConfigurationError.js';

/** azcore fields an mcpServers entry may carry besides the standard ones; copied through when present. */
const PASS_THROUGH = [
  'cwd',
  'inheritEnv',
  'maxMessageBytes',
  'connectTimeoutMs',
  'requestTimeoutMs',
  'optional',
  'authProvider',
  'oauth',
  'protocolVersion',
  'roots',
] as const;

const HTTP_TYPES: Record<string, 'streamableHttp' | 'sse'> = {
  http: 'streamableHttp',
  'streamable-http': 'streamableHttp',
  streamableHttp: 'streamableHttp',
  sse: 'sse',
};

/**
 * Turns an `mcpServers` document (object or JSON text) into one unvalidated server-config input per
 * enabled entry, in file order. {@link parseMcpServersJson} validates them.
 */
export function mcpServersEntries(input: unknown): Record<string, unknown>[] {
  const root = typeof input === 'string' ? parseJsonText(input) : input;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new ConfigurationError(
      'The config must be an object with an "mcpServers" key, e.g. { "mcpServers": {} }.',
    );
  }
  const servers = (root as Record<string, unknown>).mcpServers ?? (root as Record<string, unknown>).servers;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    throw new ConfigurationError(
      'mcpServers must be an object keyed by server name, e.g. { "mcpServers": { "memory": { "command": "npx" } } }.',
    );
  }
  const out: Record<string, unknown>[] = [];
  for (const [name, entry] of Object.entries(servers)) {
    if (typeof entry === 'object' && entry !== null && (entry as { disabled?: unknown }).disabled === true) {
      continue;
    }
    out.push(toServerConfigInput(name, entry));
  }
  return out;
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigurationError(`The mcpServers config is not valid JSON (${(e as Error).message}).`, {
      cause: e,
      hint: 'Check for trailing commas and unquoted keys.',
    });
  }
}

function toServerConfigInput(name: string, entry: unknown): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ConfigurationError(
      'The entry must be an object with "command" (a stdio server) or "url" (an HTTP server).',
      { server: name },
    );
  }
  const e = entry as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const key of PASS_THROUGH) if (e[key] !== undefined) extra[key] = e[key];

  if (e.command !== undefined) {
    if (e.type !== undefined && e.type !== 'stdio') {
      throw new ConfigurationError(
        `type is ${JSON.stringify(e.type)} but the entry has a command; remove "type" or write "type": "stdio".`,
        { server: name },
      );
    }
    return withoutUndefined({
      name,
      transport: 'stdio',
      command: e.command,
      args: e.args,
      env: e.env,
      ...extra,
    });
  }
  if (e.url !== undefined) {
    const transport = e.type === undefined ? 'streamableHttp' : HTTP_TYPES[String(e.type)];
    if (transport === undefined) {
      throw new ConfigurationError(
        `type is ${JSON.stringify(e.type)}; for a url write "type": "http" (Streamable HTTP) or "type": "sse".`,
        { server: name },
      );
    }
    return withoutUndefined({ name, transport, url: e.url, headers: e.headers, ...extra });
  }
  throw new ConfigurationError(
    'The entry needs "command" (a stdio server, e.g. "npx") or "url" (an HTTP server, e.g. "http://127.0.0.1:3001/mcp").',
    { server: name },
  );
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
