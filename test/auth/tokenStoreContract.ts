// The TokenStore contract: the expectations every store meets, run against each store by its own
// test file (Memory, File and SQLite in tokenStores.test.ts; Redis in test/fleet, which needs a
// redis-server). `make` may be async: a store that must connect first is made per test like the rest.
import { describe, expect, it } from 'vitest';
import type { CredentialRecord, TokenStore } from '../../src/auth/TokenStore.js';

export const CONTRACT_SECRET = 'SECRET-access-7f3a';
const RESOURCE = 'https://mcp.example.com/mcp';

/** A full record (tokens, client registration, discovery), every field set, with `over` applied. */
export const contractRecord = (over: Partial<CredentialRecord> = {}): CredentialRecord => ({
  issuer: 'https://as.example.com',
  resource: RESOURCE,
  clientId: 'azcore-cli',
  tokens: {
    access_token: CONTRACT_SECRET,
    token_type: 'Bearer',
    refresh_token: 'SECRET-refresh',
    scope: 'read',
  },
  obtainedAt: 1_000,
  expiresAt: 3_601_000,
  client: { client_id: 'azcore-cli', client_secret: 'SECRET-client', client_id_issued_at: 1 },
  discovery: {
    authorizationServerUrl: 'https://as.example.com',
    resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource',
  },
  updatedAt: 1,
  ...over,
});

/** Declares `TokenStore contract: <name>`; every test gets a new, empty store from `make`. */
export function describeTokenStoreContract(name: string, make: () => TokenStore | Promise<TokenStore>): void {
  const record = contractRecord;
  describe(`TokenStore contract: ${name}`, () => {
    it('finds the records of one resource, newest first, with every field kept', async () => {
      const store = await make();
      expect(await store.find(RESOURCE)).toEqual([]);
      await store.save(record({ clientId: 'old', updatedAt: 10 }));
      await store.save(record({ clientId: 'new', updatedAt: 30 }));
      await store.save(record({ clientId: 'mid', updatedAt: 20 }));
      await store.save(record({ resource: 'https://other.example.com/mcp', updatedAt: 99 }));
      const found = await store.find(RESOURCE);
      expect(found.map((r) => r.clientId)).toEqual(['new', 'mid', 'old']);
      expect(found[0]).toEqual(record({ clientId: 'new', updatedAt: 30 }));
    });

    it('replaces the record with the same key and keeps keys apart that a separator would merge', async () => {
      const store = await make();
      await store.save(record({ updatedAt: 1 }));
      await store.save(
        record({
          tokens: { access_token: 'second', token_type: 'Bearer' },
          expiresAt: undefined,
          updatedAt: 2,
        }),
      );
      const [only, ...rest] = await store.find(RESOURCE);
      expect(rest).toEqual([]);
      expect(only?.tokens).toEqual({ access_token: 'second', token_type: 'Bearer' });
      expect(only?.expiresAt).toBeUndefined();
      await store.save(record({ issuer: 'a|b', clientId: 'c', updatedAt: 3 }));
      await store.save(record({ issuer: 'a', clientId: 'b|c', updatedAt: 4 }));
      // Keys written as JSON (Redis hash fields) must not merge on a quote either.
      await store.save(record({ issuer: 'x","y', clientId: 'z', updatedAt: 5 }));
      await store.save(record({ issuer: 'x', clientId: 'y","z', updatedAt: 6 }));
      expect(await store.find(RESOURCE)).toHaveLength(5);
    });

    it('removes by partial key within one resource and says how many', async () => {
      const store = await make();
      const other = 'https://other.example.com/mcp';
      await store.save(record({ issuer: 'https://as1', clientId: 'a', updatedAt: 1 }));
      await store.save(record({ issuer: 'https://as1', clientId: 'b', updatedAt: 2 }));
      await store.save(record({ issuer: 'https://as2', clientId: 'a', updatedAt: 3 }));
      await store.save(record({ issuer: 'https://as2', clientId: 'b', updatedAt: 4 }));
      await store.save(record({ resource: other, issuer: 'https://as1', clientId: 'a', updatedAt: 5 }));
      const resource = RESOURCE;
      expect(await store.remove({ resource, issuer: 'https://as1', clientId: 'a' })).toBe(1);
      expect(await store.remove({ resource, clientId: 'b' })).toBe(2);
      expect(await store.remove({ resource, issuer: 'https://nobody' })).toBe(0);
      expect((await store.find(resource)).map((r) => [r.issuer, r.clientId])).toEqual([['https://as2', 'a']]);
      expect(await store.remove({ resource })).toBe(1);
      expect(await store.find(resource)).toEqual([]);
      expect((await store.find(other)).map((r) => r.clientId)).toEqual(['a']);
    });

    it('lists every record newest first', async () => {
      const store = await make();
      expect(await store.list()).toEqual([]);
      await store.save(record({ resource: 'https://a/mcp', updatedAt: 5 }));
      await store.save(record({ resource: 'https://b/mcp', updatedAt: 7 }));
      await store.save(record({ resource: 'https://c/mcp', updatedAt: 6 }));
      expect((await store.list()).map((r) => r.resource)).toEqual([
        'https://b/mcp',
        'https://c/mcp',
        'https://a/mcp',
      ]);
    });

    it('hands out copies: mutating what was saved or found changes nothing stored', async () => {
      const store = await make();
      const saved = record();
      await store.save(saved);
      saved.tokens!.access_token = 'mutated after save';
      const [found] = await store.find(saved.resource);
      expect(found?.tokens?.access_token).toBe(CONTRACT_SECRET);
      found!.tokens!.access_token = 'mutated after find';
      const [listed] = await store.list();
      expect(listed?.tokens?.access_token).toBe(CONTRACT_SECRET);
    });
  });
}
