import type { ServerResponse } from 'node:http';
import type { DashboardMessage } from './types.js';

/** Starts a server-sent event stream on `res`. */
export function openEventStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  // Tells EventSource to wait 1 s before reconnecting after the server goes away.
  res.write('retry: 1000\n\n');
}

/** Writes one message as an SSE event named after its type, with the JSON on one data line. */
export function writeMessage(res: ServerResponse, message: DashboardMessage): void {
  res.write(`event: ${message.type}\ndata: ${JSON.stringify(message.data)}\n\n`);
}
