import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';

/**
 * Works around MCP SDK 1.32: when `transport.send()` of a request rejects, `Protocol.request`
 * rejects the call but never removes its response handler, so every failed send (a 5xx, a 503)
 * keeps a closure alive until the client closes (found by the soak test: one handler per failed
 * call). After the SDK has settled the call with the real error, this delivers a synthetic error
 * response for that id, which makes the SDK drop the handler. The caller still sees the original
 * error: the synthetic response arrives on a later turn of the event loop, after the rejection.
 */
export function releaseHandlersOfFailedSends(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = async (message, options) => {
    try {
      await send(message, options);
    } catch (e) {
      if (isRequest(message)) {
        const id = message.id;
        setImmediate(() =>
          transport.onmessage?.({
            jsonrpc: '2.0',
            id,
            error: { code: -32000, message: 'azcore: request was not delivered' },
          }),
        );
      }
      throw e;
    }
  };
}

function isRequest(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { id: string | number; method: string } {
  return 'method' in message && 'id' in message && message.id !== undefined;
}
