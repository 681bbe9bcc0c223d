import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  parseMcpServersJson,
  parseServerConfig,
} from '../../src/config/index.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';

const authProvider = {
  get redirectUrl() {
    return 'http://127.0.0.1/cb';
  },
  get clientMetadata() {
    return { redirect_uris: ['http://127.0.0.1/cb'] };
  },
  clientInformation: () => undefined,
  tokens: () => undefined,
  saveTokens: () => {},
  redirectToAuthorization: () => {},
  saveCodeVerifier: () => {},
  codeVerifier: () => 'v',
};

function problem(input: unknown, parse: (i: unknown) => unknown = parseServerConfig): ConfigurationError {
  try {
    parse(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    expect(e).toMatchObject({ kind: 'configuration', code: 'INVALID_CONFIG', retryable: false });
    return e as ConfigurationError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parseServerConfig: good configs', () => {
  it('fills the defaults of a minimal stdio config', () => {
    expect(parseServerConfig({ name: 'memory', transport: 'stdio', command: 'mcp-server-memory' })).toEqual({
      name: 'memory',
      transport: 'stdio',
      command: 'mcp-server-memory',
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(8 * 1024 * 1024);
  });

  it('keeps every stdio field', () => {
    const full = {
      name: 'files.v2_x-1',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv'],
      cwd: '/srv',
      env: { API_KEY: 'k' },
      inheritEnv: ['HTTPS_PROXY'],
      maxMessageBytes: 1024,
      connectTimeoutMs: 5,
      requestTimeoutMs: 6,
      optional: true,
    };
    expect(parseServerConfig(full)).toEqual(full);
  });

  it('accepts Streamable HTTP and SSE configs with headers and an authProvider', () => {
    const http = parseServerConfig({
      name: 'search',
      transport: 'streamableHttp',
      url: 'https://search.example.com/mcp',
      headers: { Authorization: 'Bearer t' },
      authProvider,
    });
    expect(http).toMatchObject({ transport: 'streamableHttp', headers: { Authorization: 'Bearer t' } });
    expect(http.transport === 'streamableHttp' && http.authProvider).toBe(authProvider);
    expect(parseServerConfig({ name: 'old', transport: 'sse', url: 'http://127.0.0.1:3001/sse' })).toEqual({
      name: 'old',
      transport: 'sse',
      url: 'http://127.0.0.1:3001/sse',
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    });
  });
});

describe('parseServerConfig: each bad config names the server, the field and what to write', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'npx', /server config must be an object, e\.g\. \{ "name"/],
    [
      'empty command',
      { name: 'files', transport: 'stdio', command: '' },
      /^\[files\] command must be a non-empty string, e\.g\. "npx"/,
    ],
    ['missing command', { name: 'files', transport: 'stdio' }, /^\[files\] command must be/],
    [
      'bad name',
      { name: 'my server!', transport: 'stdio', command: 'x' },
      /name must be 1-64 letters, digits, "_", "\." or "-", e\.g\. "files"/,
    ],
    ['long name', { name: 'n'.repeat(65), transport: 'stdio', command: 'x' }, /name must be 1-64/],
    ['missing name', { transport: 'stdio', command: 'x' }, /name must be/],
    [
      'missing transport, has command',
      { name: 'files', command: 'npx' },
      /^\[files\] transport is missing.*write "transport": "stdio"/,
    ],
    [
      'missing transport, has url',
      { name: 'web', url: 'http://h' },
      /^\[web\] transport is missing.*"streamableHttp"/,
    ],
    [
      'unknown transport',
      { name: 'web', transport: 'websocket', url: 'ws://h' },
      /transport is "websocket"; it must be "stdio", "streamableHttp" or "sse"/,
    ],
    [
      'args not strings',
      { name: 'f', transport: 'stdio', command: 'x', args: ['a', 2] },
      /args\.1: .*; args must be an array of strings, e\.g\. \["-y"/,
    ],
    [
      'args a string',
      { name: 'f', transport: 'stdio', command: 'x', args: '-y' },
      /^\[f\] args must be an array of strings/,
    ],
    [
      'env value not a string',
      { name: 'f', transport: 'stdio', command: 'x', env: { PORT: 3000 } },
      /env\.PORT: .*env must be an object of string values/,
    ],
    [
      'inheritEnv bad name',
      { name: 'f', transport: 'stdio', command: 'x', inheritEnv: ['NO-DASH'] },
      /inheritEnv\.0: .*environment variable names, e\.g\. \["HTTPS_PROXY"\]/,
    ],
    [
      'cwd empty',
      { name: 'f', transport: 'stdio', command: 'x', cwd: '' },
      /cwd must be a non-empty string naming a directory/,
    ],
    [
      'maxMessageBytes zero',
      { name: 'f', transport: 'stdio', command: 'x', maxMessageBytes: 0 },
      /maxMessageBytes must be a positive integer number of bytes, e\.g\. 8388608/,
    ],
    [
      'timeout negative',
      { name: 'f', transport: 'stdio', command: 'x', requestTimeoutMs: -1 },
      /requestTimeoutMs must be a positive integer number of milliseconds, e\.g\. 60000/,
    ],
    [
      'timeout fractional',
      { name: 'f', transport: 'stdio', command: 'x', connectTimeoutMs: 1.5 },
      /connectTimeoutMs must be a positive integer/,
    ],
    [
      'optional not boolean',
      { name: 'f', transport: 'stdio', command: 'x', optional: 'yes' },
      /optional must be true or false/,
    ],
    [
      'unknown field (typo)',
      { name: 'f', transport: 'stdio', command: 'x', arg: ['a'] },
      /unknown field "arg" for a stdio server; known fields: .*args/,
    ],
    [
      'url on stdio',
      { name: 'f', transport: 'stdio', command: 'x', url: 'http://h' },
      /unknown field "url" for a stdio server/,
    ],
    [
      'bad url',
      { name: 'web', transport: 'streamableHttp', url: 'not a url' },
      /^\[web\] url must be an http:\/\/ or https:\/\/ URL, e\.g\. "http:\/\/127\.0\.0\.1:3001\/mcp"/,
    ],
    [
      'ws url',
      { name: 'web', transport: 'sse', url: 'ws://h/sse' },
      /url must be an http:\/\/ or https:\/\//,
    ],
    [
      'headers not strings',
      { name: 'web', transport: 'sse', url: 'http://h', headers: { 'x-n': 1 } },
      /headers\.x-n: .*headers must be an object of string values, e\.g\. \{ "Authorization"/,
    ],
    [
      'authProvider not a provider',
      { name: 'web', transport: 'streamableHttp', url: 'http://h', authProvider: {} },
      /authProvider must be the SDK's OAuthClientProvider/,
    ],
  ];
  for (const [label, input, message] of cases) {
    it(label, () => {
      expect(problem(input).message).toMatch(message);
    });
  }

  it('reports every problem at once and sets server', () => {
    const e = problem({ name: 'many', transport: 'stdio', command: '', maxMessageBytes: -1 });
    expect(e.server).toBe('many');
    expect(e.message).toMatch(/command must be .*; maxMessageBytes must be/);
  });
});

describe('parseMcpServersJson', () => {
  const doc = {
    mcpServers: {
      memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { A: 'b' } },
      search: { url: 'https://search.example.com/mcp', headers: { Authorization: 'Bearer t' } },
      legacy: { type: 'sse', url: 'http://127.0.0.1:3001/sse' },
      vscode: { type: 'http', url: 'http://127.0.0.1:3001/mcp' },
      streamable: { type: 'streamable-http', url: 'http://127.0.0.1:3002/mcp' },
      local: {
        type: 'stdio',
        command: 'mcp-server-memory',
        autoApprove: ['read_graph'],
        requestTimeoutMs: 5000,
      },
      off: { command: 'never', disabled: true },
    },
  };

  it('maps Claude Desktop / Cursor / VS Code entries, in file order', () => {
    const servers = parseMcpServersJson(doc);
    expect(servers.map((s) => [s.name, s.transport])).toEqual([
      ['memory', 'stdio'],
      ['search', 'streamableHttp'],
      ['legacy', 'sse'],
      ['vscode', 'streamableHttp'],
      ['streamable', 'streamableHttp'],
      ['local', 'stdio'],
    ]);
    expect(servers[0]).toMatchObject({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { A: 'b' },
    });
    expect(servers[1]).toMatchObject({
      url: 'https://search.example.com/mcp',
      headers: { Authorization: 'Bearer t' },
    });
    expect(servers[5]).toMatchObject({ requestTimeoutMs: 5000 });
    expect(servers[5]).not.toHaveProperty('autoApprove');
  });

  it('accepts JSON text and VS Code\'s "servers" key', () => {
    const servers = parseMcpServersJson(JSON.stringify({ servers: { m: { type: 'stdio', command: 'x' } } }));
    expect(servers).toMatchObject([{ name: 'm', transport: 'stdio', command: 'x' }]);
  });

  it('keeps protocolVersion and roots (pin an era, offer roots from JSON)', () => {
    const servers = parseMcpServersJson({
      mcpServers: {
        files: {
          command: 'x',
          protocolVersion: 'legacy',
          roots: [{ uri: 'file:///srv/data', name: 'data' }],
        },
        web: { url: 'http://127.0.0.1:1/mcp', protocolVersion: '2026-07-28' },
      },
    });
    expect(servers).toMatchObject([
      { name: 'files', protocolVersion: 'legacy', roots: [{ uri: 'file:///srv/data', name: 'data' }] },
      { name: 'web', protocolVersion: '2026-07-28' },
    ]);
    expect(() =>
      parseMcpServersJson({ mcpServers: { bad: { command: 'x', protocolVersion: 'soon' } } }),
    ).toThrow(/protocolVersion must be "auto", "legacy" or a protocol version/);
  });

  const bad: [string, unknown, RegExp][] = [
    ['invalid JSON', '{ "mcpServers": { ', /not valid JSON .*Check for trailing commas/],
    ['no mcpServers', { servers: [] }, /mcpServers must be an object keyed by server name/],
    ['not an object', [], /must be an object with an "mcpServers" key/],
    [
      'entry without command or url',
      { mcpServers: { x: { args: [] } } },
      /^\[x\] The entry needs "command" .* or "url"/,
    ],
    ['entry not an object', { mcpServers: { x: 'npx' } }, /^\[x\] The entry must be an object/],
    [
      'unknown type for url',
      { mcpServers: { x: { type: 'ws', url: 'ws://h' } } },
      /^\[x\] type is "ws"; for a url write "type": "http" .* or "type": "sse"/,
    ],
    [
      'type sse with command',
      { mcpServers: { x: { type: 'sse', command: 'npx' } } },
      /^\[x\] type is "sse" but the entry has a command/,
    ],
    [
      'bad field inside an entry',
      { mcpServers: { files: { command: 'npx', args: 'x' } } },
      /^\[files\] args must be an array of strings/,
    ],
    ['bad server name', { mcpServers: { 'my server': { command: 'npx' } } }, /name must be 1-64 letters/],
  ];
  for (const [label, input, message] of bad) {
    it(`rejects ${label}`, () => {
      expect(problem(input, parseMcpServersJson).message).toMatch(message);
    });
  }
});
