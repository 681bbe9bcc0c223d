// The OAuth refresh across replicas: two connections in two "replicas" (each its own Redis socket)
// share one RedisTokenStore keyspace; the token expires at the MCP server and both replicas meet the
// 401 at once. With the store's coordinateRefresh exactly one refresh-token grant reaches the
// authorization server (a rotating refresh token is used once), and both calls go through.
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedClock } from 'xstate';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { RedisTokenStore } from '../../src/fleet/index.js';
import { systemClock } from '../../src/resilience/Clock.js';
import { useOAuthServers } from '../support/oauthServers.js';
import { freshPrefix } from './connections.js';
import { useRedisServer } from './setup.js';

// Registered in this order so that after each test the connections close first, then the fleet
// connections, then the OAuth servers.
const servers = useOAuthServers({ accessTokenTtl: 60, per: 'test' });
const redis = useRedisServer();
const conns: ServerConnection[] = [];

afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
});

async function replica(name: string, prefix: string) {
  // The refresh lease and the waiting replica's polls run on the wall clock here: real servers.
  const { redis: connection } = await redis.connect(name, { clock: systemClock as SimulatedClock, prefix });
  const conn = new ServerConnection({
    config: { name: 'secured', transport: 'streamableHttp', url: servers.rs.url.href, oauth: {} },
    auth: { store: new RedisTokenStore(connection) },
  });
  conns.push(conn);
  return conn;
}

describe('OAuth refresh across a fleet (RedisTokenStore.coordinateRefresh)', () => {
  it('two replicas meet the 401 at once: one refresh-token grant, both calls succeed, both hold the new token', async () => {
    const prefix = freshPrefix('oauth');
    const a = await replica('A', prefix);
    await a.login({
      onAuthorizationUrl: async (url) => {
        await fetch(await servers.as.completeAuthorization(url));
      },
    });
    const b = await replica('B', prefix);
    await b.start(); // the token A stored is in Redis: no login for B
    expect(servers.as.tokenRequestCount('authorization_code')).toBe(1);

    servers.as.setAccessTokenTtl(3600);
    servers.rs.advanceTime(120); // the shared token is now expired at the MCP server
    const [ra, rb] = await Promise.all([
      a.callTool('echo', { text: 'from A' }),
      b.callTool('echo', { text: 'from B' }),
    ]);
    expect((ra.content[0] as { text: string }).text).toBe('from A');
    expect((rb.content[0] as { text: string }).text).toBe('from B');
    expect(servers.as.tokenRequestCount('refresh_token')).toBe(1);
    expect(servers.as.tokenRequests.filter((r) => r.error)).toEqual([]);
  });
});
