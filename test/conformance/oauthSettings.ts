// The `oauth` config the conformance client gives ServerConnection for each auth scenario: what an
// app would write in its mcpServers file. Client identity comes from MCP_CONFORMANCE_CONTEXT where
// the scenario hands one out (pre-registered clients, client credentials); everywhere else the
// runtime finds its own way (Client ID Metadata Document when the authorization server supports
// it, else dynamic registration), as the spec orders them.
import { requestJwtAuthorizationGrant } from '@modelcontextprotocol/client';
import type { AssertionSupplier } from '../../src/auth/OAuthProvider.js';
import type { OAuthConfig } from '../../src/config/serverConfig.js';

/** The redirect URI of the conformance client: its authorization server redirects there at once. */
export const CONFORMANCE_REDIRECT_URI = 'http://localhost:3000/callback';
/** The Client ID Metadata Document URL the CIMD scenarios expect. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

interface Context {
  name?: string;
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
  idp_client_id?: string;
  idp_id_token?: string;
  idp_token_endpoint?: string;
}

const parse = (raw: string | undefined): Context => (raw ? (JSON.parse(raw) as Context) : {});

/** The `oauth` settings for `scenario`, or undefined for scenarios that are not about OAuth. */
export function oauthSettings(scenario: string, rawContext: string | undefined): OAuthConfig | undefined {
  if (!scenario.startsWith('auth/')) return undefined;
  const context = parse(rawContext);
  switch (scenario) {
    case 'auth/client-credentials-jwt':
      return {
        grant: 'client_credentials',
        clientId: context.client_id,
        privateKey: context.private_key_pem,
        signingAlgorithm: context.signing_algorithm ?? 'ES256',
      };
    case 'auth/client-credentials-basic':
      return {
        grant: 'client_credentials',
        clientId: context.client_id,
        clientSecret: context.client_secret,
      };
    case 'auth/cross-app-access-complete-flow':
      return { grant: 'jwt_bearer', clientId: context.client_id, clientSecret: context.client_secret };
    case 'auth/pre-registration':
      return { clientId: context.client_id, clientSecret: context.client_secret };
    case 'auth/2025-03-26-oauth-metadata-backcompat':
      // A 2025-03-26 server: no protected-resource metadata, and an authorization server under
      // /oauth whose root metadata names that issuer. Accepting it is a per-server opt-in.
      return { clientName: 'azcore-conformance-client', allowIssuerMismatch: true };
    default:
      return { clientMetadataUrl: CLIENT_METADATA_URL, clientName: 'azcore-conformance-client' };
  }
}

/**
 * The `jwt_bearer` grant's ID-JAG for the cross-app-access scenario: the person's ID token from the
 * enterprise identity provider, exchanged there (RFC 8693) for a grant aimed at the MCP server's
 * authorization server and resource. What an app would supply as `auth.assertion`.
 */
export function assertionFor(
  scenario: string,
  rawContext: string | undefined,
): AssertionSupplier | undefined {
  if (scenario !== 'auth/cross-app-access-complete-flow') return undefined;
  const context = parse(rawContext);
  return async ({ authorizationServerUrl, resourceUrl, scope, fetchFn }) => {
    const grant = await requestJwtAuthorizationGrant({
      tokenEndpoint: context.idp_token_endpoint ?? '',
      audience: authorizationServerUrl,
      resource: resourceUrl,
      idToken: context.idp_id_token ?? '',
      clientId: context.idp_client_id ?? '',
      ...(scope ? { scope } : {}),
      fetchFn,
    });
    return grant.jwtAuthGrant;
  };
}
