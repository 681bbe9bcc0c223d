// The `oauth` config the conformance client gives ServerConnection for each auth scenario: what an
// app would write in its mcpServers file. Client identity comes from MCP_CONFORMANCE_CONTEXT where
// the scenario hands one out (pre-registered clients, client credentials); everywhere else the
// runtime finds its own way (Client ID Metadata Document when the authorization server supports
// it, else dynamic registration), as the spec orders them.
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
}

/** The `oauth` settings for `scenario`, or undefined for scenarios that are not about OAuth. */
export function oauthSettings(scenario: string, rawContext: string | undefined): OAuthConfig | undefined {
  if (!scenario.startsWith('auth/')) return undefined;
  const context = rawContext ? (JSON.parse(rawContext) as Context) : {};
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
    case 'auth/pre-registration':
      return { clientId: context.client_id, clientSecret: context.client_secret };
    default:
      return { clientMetadataUrl: CLIENT_METADATA_URL, clientName: 'azcore-conformance-client' };
  }
}
