import { describe, expect, it } from 'vitest';
import { LineSplitter, type OversizedLine, oversizedMessageShape } from '../../src/transports/index.js';

function splitter(max: number) {
  const lines: string[] = [];
  const oversized: OversizedLine[] = [];
  const s = new LineSplitter(max, { line: (l) => lines.push(l), oversized: (o) => oversized.push(o) });
  return { s, lines, oversized };
}

describe('LineSplitter', () => {
  it('joins lines across chunks, strips CR and skips blank lines', () => {
    const { s, lines } = splitter(100);
    s.push(Buffer.from('{"a":1}\r\n{"b"'));
    s.push(Buffer.from(':2}\n\n  \n'));
    s.push(Buffer.from('{"c":3}'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    s.push(Buffer.from('\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const { s, lines } = splitter(100);
    const bytes = Buffer.from('"héllo ✓"\n');
    s.push(bytes.subarray(0, 3));
    s.push(bytes.subarray(3));
    expect(lines).toEqual(['"héllo ✓"']);
  });

  it('drops an oversized line without buffering it, reports head then tail, and reads the next line', () => {
    const { s, lines, oversized } = splitter(10);
    s.push(Buffer.from('HEAD-'));
    s.push(Buffer.from('0123456789'));
    expect(oversized).toEqual([{ head: 'HEAD-0123456789', tail: '', bytes: 15, ended: false }]);
    s.push(Buffer.from('abc'.repeat(1000)));
    s.push(Buffer.from('-TAIL\nok\n'));
    expect(oversized[1]).toMatchObject({ ended: true, bytes: 15 + 3000 + 5 });
    expect(oversized[1]?.tail.endsWith('abc-TAIL')).toBe(true);
    expect(oversized[1]?.tail.length).toBeLessThanOrEqual(512);
    expect(lines).toEqual(['ok']);
  });

  it('a line of exactly maxBytes is not oversized', () => {
    const { s, lines, oversized } = splitter(4);
    s.push(Buffer.from('abcd\nabcde\n'));
    expect(lines).toEqual(['abcd']);
    expect(oversized.map((o) => o.ended)).toEqual([false, true]);
  });
});

describe('oversizedMessageShape', () => {
  it('reads a leading id of a response', () => {
    expect(oversizedMessageShape('{"jsonrpc":"2.0","id":4,"result":{"content":[{"text":"xx', '')).toEqual({
      kind: 'response',
      id: 4,
    });
  });

  it('reads a trailing id, as the SDK serializes responses ({ result, jsonrpc, id })', () => {
    expect(oversizedMessageShape('{"result":{"content":[', 'xx"}]},"jsonrpc":"2.0","id":12}')).toEqual({
      kind: 'response',
      id: 12,
    });
    expect(oversizedMessageShape('{"result":{', '"x"}},"id":"a\\"b","jsonrpc":"2.0"}')).toEqual({
      kind: 'response',
      id: 'a"b',
    });
  });

  it('does not take a nested "id" for the message id', () => {
    expect(oversizedMessageShape('{"result":{"items":[', '{"id":3}]}}')).toEqual({
      kind: 'response',
      id: undefined,
    });
  });

  it('recognizes a request from the server (method first)', () => {
    expect(
      oversizedMessageShape('{"method":"sampling/createMessage","params":{', '},"jsonrpc":"2.0","id":0}'),
    ).toEqual({
      kind: 'request',
      id: 0,
    });
  });

  it('knows nothing about a line that is not JSON', () => {
    expect(oversizedMessageShape('xxxxxxxx', 'xxxx')).toEqual({ kind: 'unknown', id: undefined });
  });
});
