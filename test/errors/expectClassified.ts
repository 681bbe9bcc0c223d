// Shared by the classifyError tests: one strict check of a classified error, and small helpers
// to catch a rejection and to know when a request is really on the wire.
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import type { AzcoreError, ErrorKind } from '../../src/errors/AzcoreError.js';
import { classifyError } from '../../src/errors/classifyError.js';

export const SERVER = 'srv';

export interface Expected {
  kind: ErrorKind;
  code: string;
  retryable: boolean;
  /** What the message must say, including what to do. */
  says: RegExp;
}

/** Classifies `e` for SERVER and checks kind, code, retryable, server and the advice in the message. */
export function expectClassified(
  e: unknown,
  want: Expected,
  ctx: Parameters<typeof classifyError>[1] = {},
): AzcoreError {
  const typed = classifyError(e, { server: SERVER, ...ctx });
  expect({ kind: typed.kind, code: typed.code, retryable: typed.retryable, server: typed.server }).toEqual({
    kind: want.kind,
    code: want.code,
    retryable: want.retryable,
    server: SERVER,
  });
  expect(typed.message).toMatch(new RegExp(`^\\[${SERVER}\\] `));
  expect(typed.message).toMatch(want.says);
  return typed;
}

/** The rejection reason of `p`; fails the test when `p` resolves. */
export const rejectionOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`);
    },
    (e: unknown) => e,
  );

/**
 * Resolves once `transport` has written a request for `method`. SDK v2 `callTool` awaits its
 * output-validator cache before sending, so a test that kills the server right after calling
 * would otherwise race the send, not the reply.
 */
export function sent(transport: Transport, method: string): Promise<void> {
  const send = transport.send.bind(transport);
  return new Promise((resolve) => {
    transport.send = async (message: JSONRPCMessage, options) => {
      await send(message, options);
      if ('method' in message && message.method === method) resolve();
    };
  });
}
