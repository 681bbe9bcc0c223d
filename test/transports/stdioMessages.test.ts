import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolError as McpProtocolError } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, RESULT_TOO_LARGE_CODE } from '../../src/errors/classifyError.js';
import { ProtocolError } from '../../src/errors/ProtocolError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { bin, closeAll, connect, rawResponder } from './helpers.js';

const LIMIT = 64 * 1024;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'azcore-msg-'));
});
afterEach(closeAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const textOf = (result: unknown): string =>
  (result as { content: { text?: string }[] }).content[0]?.text ?? '';

async function expectTooLarge(call: Promise<unknown>, server: string): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpProtocolError);
  expect((error as McpProtocolError).code).toBe(RESULT_TOO_LARGE_CODE);
  const typed = classifyError(error, { server });
  expect(typed).toBeInstanceOf(ResourceError);
  expect(typed).toMatchObject({ kind: 'resource', code: 'RESULT_TOO_LARGE', retryable: false, server });
  expect(typed.message).toMatch(/raise maxMessageBytes/);
}

describe('malformed stdout', () => {
  it('reports each non-JSON-RPC line as a ProtocolError MALFORMED and keeps going', async () => {
    const { client, errors } = await connect(rawResponder('noisy'));
    const result = await client.callTool({ name: 'garbage', arguments: {} });
    expect(textOf(result)).toBe('after garbage');
    const malformed = errors.items.filter((e) => e instanceof ProtocolError);
    expect(malformed).toHaveLength(2);
    for (const e of malformed) {
      expect(e).toMatchObject({ code: 'MALFORMED', server: 'noisy', retryable: false });
      expect(e.message).toMatch(/^\[noisy\] .*logs belong on stderr/);
    }
    expect(malformed[0]?.message).toContain('this is not json');
  });
});

describe('oversized messages (maxMessageBytes)', () => {
  it('answers the pending request with RESULT_TOO_LARGE when the id leads the line', async () => {
    const { client } = await connect(rawResponder('big', [], { maxMessageBytes: LIMIT }));
    await expectTooLarge(client.callTool({ name: 'huge', arguments: { bytes: 4 * LIMIT } }), 'big');
    // The rest of the line was dropped; the next message parses.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('answers the pending request when the id comes last (as the SDK writes responses)', async () => {
    const { client } = await connect(rawResponder('big', [], { maxMessageBytes: LIMIT }));
    await expectTooLarge(client.callTool({ name: 'hugeIdLast', arguments: { bytes: 4 * LIMIT } }), 'big');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('reports an oversized message that answers nothing through onerror, and continues', async () => {
    const { client, errors } = await connect(rawResponder('chatty', [], { maxMessageBytes: LIMIT }));
    const result = await client.callTool({ name: 'hugeNotification', arguments: { bytes: 2 * LIMIT } });
    expect(textOf(result)).toBe('after big notification');
    const dropped = errors.items.find((e) => e instanceof ResourceError);
    expect(dropped).toMatchObject({ code: 'MESSAGE_TOO_LARGE', server: 'chatty', retryable: false });
    expect(dropped?.message).toMatch(
      /above maxMessageBytes \(65536\); it was dropped\. Raise maxMessageBytes/,
    );
  });

  it('protects against a real SDK server (server-filesystem reading a big file)', async () => {
    writeFileSync(join(dir, 'big.txt'), 'z'.repeat(4 * LIMIT));
    writeFileSync(join(dir, 'small.txt'), 'small');
    const { client } = await connect({
      name: 'files',
      transport: 'stdio',
      command: bin('mcp-server-filesystem'),
      args: [dir],
      maxMessageBytes: LIMIT,
    });
    await expectTooLarge(
      client.callTool({ name: 'read_text_file', arguments: { path: join(dir, 'big.txt') } }),
      'files',
    );
    const small = await client.callTool({
      name: 'read_text_file',
      arguments: { path: join(dir, 'small.txt') },
    });
    expect(textOf(small)).toBe('small');
  });
});
