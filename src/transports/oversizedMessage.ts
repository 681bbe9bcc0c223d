import type { RequestId } from '@modelcontextprotocol/client';

/** What can be learned about a JSON-RPC message from only its first and last bytes. */
export interface OversizedMessageShape {
  /** `request` when a top-level `method` was seen, `response` for `result`/`error`, else unknown. */
  kind: 'request' | 'response' | 'unknown';
  id: RequestId | undefined;
}

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
/** `..."id":7}` or `..."id":7,"jsonrpc":"2.0"}` closing the top-level object (the SDK writes `id` last). */
const TAIL_ID = [
  new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`),
  new RegExp(String.raw`"id"\s*:\s*${ID}\s*,\s*"jsonrpc"\s*:\s*"2\.0"\s*\}\s*$`),
];

/**
 * Reads the kind and id of a message too large to parse, from its head (top-level keys up to the
 * first object or array value) and its tail (a trailing `"id"` that closes the message).
 *
 * @example
 * oversizedMessageShape('{"jsonrpc":"2.0","id":4,"result":{"content":[', '');
 * // { kind: 'response', id: 4 }
 */
export function oversizedMessageShape(head: string, tail: string): OversizedMessageShape {
  const keys = topLevelPrimitiveKeys(head);
  const kind = keys.has('method')
    ? 'request'
    : keys.has('result') || keys.has('error')
      ? 'response'
      : 'unknown';
  const headId = keys.get('id');
  if (headId) return { kind, id: toId(headId) };
  for (const re of TAIL_ID) {
    const m = re.exec(tail);
    if (m?.[1] !== undefined) return { kind, id: toId(m[1]) };
  }
  return { kind, id: undefined };
}

/** Scans `{"k": v, ...` from the start; values are kept for primitives, '' for the object/array that stops the scan. */
function topLevelPrimitiveKeys(head: string): Map<string, string> {
  const keys = new Map<string, string>();
  const re = /\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null|[[{])\s*,?/y;
  const open = /^\s*\{/.exec(head);
  if (!open) return keys;
  re.lastIndex = open[0].length;
  for (let m = re.exec(head); m; m = re.exec(head)) {
    const key = JSON.parse(m[1] ?? '""') as string;
    const value = m[2] ?? '';
    keys.set(key, value === '{' || value === '[' ? '' : value);
    if (value === '{' || value === '[') break;
  }
  return keys;
}

function toId(raw: string): RequestId | undefined {
  if (raw.startsWith('"')) return JSON.parse(raw) as string;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
