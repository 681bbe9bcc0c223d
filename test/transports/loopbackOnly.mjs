// Preload (node --import) that forces every server socket of the process onto 127.0.0.1, for
// third-party servers that offer no host option (server-everything calls app.listen(PORT)).
// Once listening it prints `AZCORE_LISTENING {"address":...,"port":...}` on stderr.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === 'object' && first !== null && !('_handle' in first)) {
    args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, LOOPBACK);
  }
  this.once('listening', () => {
    process.stderr.write(`AZCORE_LISTENING ${JSON.stringify(this.address())}\n`);
  });
  return listen.apply(this, args);
};
