// A tiny TCP proxy on 127.0.0.1 that holds every chunk, in both directions, for `delayMs` before
// passing it on (order kept): a slow Redis without touching Redis. The delay can change mid-run;
// chunks already held keep theirs.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface DelayProxy {
  readonly port: number;
  readonly url: string;
  /** Delay of the chunks that arrive from now on. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delay()` ms later, never out of order. */
function pipeDelayed(from: Socket, to: Socket, delay: () => number): void {
  let last = 0;
  from.on('data', (chunk: Buffer) => {
    const due = Math.max(last, Date.now() + delay());
    last = due;
    const send = () => {
      if (!to.destroyed) to.write(chunk);
    };
    const wait = due - Date.now();
    if (wait <= 0) send();
    else setTimeout(send, wait);
  });
  from.on('close', () => {
    const wait = Math.max(0, last - Date.now());
    setTimeout(() => to.destroy(), wait);
  });
  from.on('error', () => {});
}

export async function startDelayProxy(targetPort: number, delayMs = 0): Promise<DelayProxy> {
  let delay = delayMs;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipeDelayed(client, upstream, () => delay);
    pipeDelayed(upstream, client, () => delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    url: `redis://127.0.0.1:${address.port}`,
    setDelay: (ms) => {
      delay = ms;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
