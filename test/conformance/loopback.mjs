// Preload (node --import) for the conformance runner when `unshare -n` is not permitted: every
// listening socket of the process goes to 127.0.0.1 instead of all interfaces. The scenario servers
// read `server.address().port` right after `listen(0)`, which only works when binding happens
// synchronously, so the lookup of the literal 127.0.0.1 answers at once (Node defers it a tick).
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const lookup = dns.lookup;

dns.lookup = function lookupLoopbackAtOnce(...args) {
  const [hostname, options, callback] = args;
  const done = typeof options === 'function' ? options : callback;
  if (hostname !== LOOPBACK || typeof done !== 'function') return lookup.apply(this, args);
  if (typeof options === 'object' && options?.all) return done(null, [{ address: LOOPBACK, family: 4 }]);
  return done(null, LOOPBACK, 4);
};

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const [first] = args;
  if (typeof first === 'object' && first !== null && !('_handle' in first) && !('fd' in first)) {
    args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, LOOPBACK);
  }
  return listen.apply(this, args);
};
