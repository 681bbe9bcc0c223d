import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP listener in front of a real server that accepts connections and holds every byte until
 * `release()`: to a client it is a server that never answers. Released, it pipes each held
 * connection (with what it already received) to the upstream port, and every later one at once.
 * Tests use it for an MCP server that hangs on connect and comes up later, without a timer.
 */
export interface TcpGate {
  /** `http://127.0.0.1:<port>` + the upstream URL's path. */
  url: (upstream: URL) => string;
  /** Connections that reached the gate so far. */
  readonly accepted: number;
  /** Resolves when `n` connections have reached the gate. */
  waitForConnections: (n: number) => Promise<void>;
  release: () => void;
  close: () => Promise<void>;
}

export async function startTcpGate(upstreamPort: number): Promise<TcpGate> {
  const held: { socket: Socket; chunks: Buffer[] }[] = [];
  const open = new Set<Socket>();
  let released = false;
  let accepted = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const pipe = (socket: Socket, chunks: Buffer[]): void => {
    const up = connect(upstreamPort, '127.0.0.1');
    open.add(up);
    for (const c of chunks) up.write(c);
    socket.removeAllListeners('data');
    socket.pipe(up).pipe(socket);
    const end = () => {
      socket.destroy();
      up.destroy();
    };
    socket.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  };
  const server: Server = createServer((socket) => {
    open.add(socket);
    accepted++;
    for (const w of waiters.filter((w) => accepted >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    if (released) return pipe(socket, []);
    const entry = { socket, chunks: [] as Buffer[] };
    held.push(entry);
    socket.on('data', (c: Buffer) => entry.chunks.push(c));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: (upstream) => `http://127.0.0.1:${port}${upstream.pathname}`,
    get accepted() {
      return accepted;
    },
    waitForConnections: (n) =>
      accepted >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    release: () => {
      released = true;
      for (const { socket, chunks } of held.splice(0)) if (!socket.destroyed) pipe(socket, chunks);
    },
    close: async () => {
      for (const s of open) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
