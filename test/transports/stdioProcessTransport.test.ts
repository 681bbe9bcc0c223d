import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { classifyError } from '../../src/errors/classifyError.js';
import type { Clock } from '../../src/resilience/Clock.js';
import { StdioProcessTransport } from '../../src/transports/index.js';
import { sent } from '../errors/expectClassified.js';
import { bin, closeAll, connect, environOf, groupMembers, RAW_RESPONDER, rawResponder } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'azcore-stdio-'));
});
afterEach(closeAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const textOf = (result: unknown): string =>
  ((result as { content: { type: string; text?: string }[] }).content[0]?.text ?? '') as string;

/** A Clock whose timers fire only when the test says so. */
function manualClock() {
  const timers = new Map<number, () => void>();
  let next = 0;
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      timers.set(++next, fn);
      return next;
    },
    clearTimeout: (h) => {
      timers.delete(h as number);
    },
  };
  const fireAll = () => {
    for (const [id, fn] of [...timers]) {
      timers.delete(id);
      fn();
    }
  };
  return { clock, fireAll, pending: () => timers.size };
}

describe('StdioProcessTransport against third-party servers', () => {
  it('lists and calls tools of server-everything, then takes its process group down on close', async () => {
    const { client, handle, stderr, exits } = await connect({
      name: 'everything',
      transport: 'stdio',
      command: bin('mcp-server-everything'),
    });
    const pid = handle.pid!;
    expect(groupMembers(pid)).toContain(pid);

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('echo');
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(textOf(echoed)).toBe('Echo: hi');
    expect(await stderr.next((l) => l.includes('STDIO'))).toMatch(/Starting default \(STDIO\) server/);

    await handle.close();
    expect(exits.items).toHaveLength(1);
    expect(groupMembers(pid)).toEqual([]);
  });

  it('creates and reads entities with server-memory (file path from config env)', async () => {
    const { client } = await connect({
      name: 'memory',
      transport: 'stdio',
      command: bin('mcp-server-memory'),
      env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
    });
    await client.callTool({
      name: 'create_entities',
      arguments: { entities: [{ name: 'azcore', entityType: 'project', observations: ['typed errors'] }] },
    });
    const graph = await client.callTool({ name: 'read_graph', arguments: {} });
    expect(textOf(graph)).toContain('typed errors');
  });
});

describe('child environment', () => {
  it('passes the safe defaults, inheritEnv names and config env, never the rest of process.env', async () => {
    process.env.AZCORE_TEST_SECRET = 'must-not-leak';
    process.env.AZCORE_TEST_SHARED = 'passed-by-name';
    try {
      const { client, handle } = await connect(
        rawResponder('env', [], {
          inheritEnv: ['AZCORE_TEST_SHARED'],
          env: { AZCORE_EXTRA: '1', PATH: '/bin' },
        }),
      );
      const seen = JSON.parse(textOf(await client.callTool({ name: 'env', arguments: {} }))) as Record<
        string,
        string
      >;
      expect(seen.AZCORE_TEST_SECRET).toBeUndefined();
      expect(seen.AZCORE_TEST_SHARED).toBe('passed-by-name');
      expect(seen.AZCORE_EXTRA).toBe('1');
      expect(seen.PATH).toBe('/bin'); // config env wins over the defaults
      expect(seen.HOME).toBe(process.env.HOME);
      // Cross-check with what the kernel recorded at exec time.
      const environ = environOf(handle.pid!);
      expect(environ.AZCORE_TEST_SECRET).toBeUndefined();
      expect(environ.AZCORE_TEST_SHARED).toBe('passed-by-name');
    } finally {
      delete process.env.AZCORE_TEST_SECRET;
      delete process.env.AZCORE_TEST_SHARED;
    }
  });
});

describe('stderr', () => {
  it('delivers stderr split into lines, across writes and without CR', async () => {
    const { client, stderr } = await connect(rawResponder('stderr'));
    await client.callTool({ name: 'stderr', arguments: {} });
    await stderr.next((l) => l === 'third line');
    expect(stderr.items).toEqual(['first line', 'second line', 'third line']);
  });
});

describe('process group', () => {
  it('close() kills a shell wrapper and its background grandchild', async () => {
    const { client, handle, exits } = await connect({
      name: 'wrapped',
      transport: 'stdio',
      command: '/bin/sh',
      args: ['-c', `sleep 1000 & exec "${process.execPath}" "${RAW_RESPONDER}"`],
    });
    await client.ping();
    const pid = handle.pid!;
    expect(groupMembers(pid).length).toBe(2); // node (exec'd over sh) and sleep
    await handle.close();
    expect(exits.items).toHaveLength(1);
    expect(groupMembers(pid)).toEqual([]);
  });

  it('close() escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const { clock, fireAll, pending } = manualClock();
    const { client, handle, exits } = await connect(rawResponder('stubborn', ['--ignore-sigterm']), {
      clock,
    });
    await client.ping(); // the SIGTERM handler is installed before stdin is read
    const closing = handle.close();
    expect(pending()).toBe(1); // the SIGKILL timer
    fireAll();
    await closing;
    expect(exits.items).toEqual([{ code: null, signal: 'SIGKILL' }]);
  });

  it('an unexpected SIGKILL fires onclose once, fails the pending call with a typed connection error, and reaps the group', async () => {
    const { client, handle, exits, closed } = await connect(rawResponder('victim', ['--grandchild']));
    const pid = handle.pid!;
    const grandchild = Number(textOf(await client.callTool({ name: 'grandchild', arguments: {} })));
    expect(groupMembers(pid)).toEqual(expect.arrayContaining([pid, grandchild]));

    // v2's callTool sends after an await: kill only once the request is on the wire.
    const onWire = sent(handle.transport, 'tools/call');
    const pendingCall = client.callTool({ name: 'hang', arguments: {} });
    await onWire;
    process.kill(pid, 'SIGKILL');
    const error = await pendingCall.then(
      () => undefined,
      (e: unknown) => e,
    );
    await closed;
    // v1: McpError -32000; v2: SdkError CONNECTION_CLOSED, same kind and retryability.
    expect(error).toBeInstanceOf(SdkError);
    expect((error as SdkError).code).toBe(SdkErrorCode.ConnectionClosed);
    const typed = classifyError(error, { server: 'victim' });
    expect(typed).toBeInstanceOf(ConnectionError);
    expect(typed).toMatchObject({
      kind: 'connection',
      code: 'CONNECTION_CLOSED',
      retryable: true,
      server: 'victim',
    });
    expect(typed.message).toMatch(
      /^\[victim\] The connection closed before the server replied\. .*reconnects/,
    );
    expect(exits.items).toEqual([{ code: null, signal: 'SIGKILL' }]);
    // The grandchild held stdout open; the transport killed it rather than wait forever.
    expect(groupMembers(pid)).toEqual([]);
  });

  it('close() is idempotent and fires onclose once', async () => {
    const { handle, client } = await connect(rawResponder('twice'));
    let closes = 0;
    const previous = handle.transport.onclose;
    handle.transport.onclose = () => {
      closes++;
      previous?.();
    };
    await Promise.all([handle.close(), handle.close(), client.close()]);
    await handle.close();
    expect(closes).toBe(1);
  });

  it('send() after the process exited rejects with a ConnectionError', async () => {
    const transport = new StdioProcessTransport(rawResponder('gone'));
    await transport.start();
    await transport.close();
    await expect(transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' })).rejects.toMatchObject({
      kind: 'connection',
      code: 'NOT_CONNECTED',
      server: 'gone',
    });
  });
});

describe('spawn failures', () => {
  it('a missing command rejects start() with a non-retryable ConnectionError naming it', async () => {
    const transport = new StdioProcessTransport({
      name: 'ghost',
      transport: 'stdio',
      command: 'azcore-no-such-cmd',
    });
    const error = await transport.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ENOENT', retryable: false, server: 'ghost' });
    expect((error as Error).message).toMatch(
      /"azcore-no-such-cmd" was not found\. Install it or fix `command`/,
    );
    expect(transport.pid).toBeUndefined();
  });

  it('close() while a failing spawn is in flight settles both start() and close()', async () => {
    const transport = new StdioProcessTransport({
      name: 'ghost',
      transport: 'stdio',
      command: 'azcore-no-such-cmd',
    });
    let closes = 0;
    transport.onclose = () => closes++;
    const started = transport.start().catch((e: unknown) => e);
    await transport.close();
    expect(await started).toMatchObject({ kind: 'connection', code: 'ENOENT' });
    expect(closes).toBe(1);
  });

  it('a file without the execute bit rejects with EACCES and says to chmod', async () => {
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o644);
    const transport = new StdioProcessTransport({ name: 'noexec', transport: 'stdio', command: script });
    const error = await transport.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', code: 'EACCES', retryable: false, server: 'noexec' });
    expect((error as Error).message).toMatch(/is not executable\. Check its file permissions \(chmod \+x\)/);
  });

  it('a missing cwd is reported as such (spawn would blame the command)', async () => {
    const config = rawResponder('nocwd', [], { cwd: join(dir, 'missing') });
    const error = await new StdioProcessTransport(config).start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'connection', code: 'BAD_CWD', retryable: false });
    expect((error as Error).message).toMatch(/working directory .* does not exist\. Fix `cwd`/);
  });
});
