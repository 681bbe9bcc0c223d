import { OAuthClientFlowError, OAuthError } from '@modelcontextprotocol/client';
import { AuthError } from './AuthError.js';
import { firstLine } from './fromTransportFailure.js';

/** What to do about each OAuth error code an authorization server returns (RFC 6749 5.2, 7591). */
const OAUTH_HINTS: Record<string, string> = {
  invalid_client:
    'The authorization server does not accept this client: check oauth.clientId / clientSecret / privateKey, or remove them to register dynamically.',
  unauthorized_client:
    'This client may not use this grant: check oauth.grant and how the client is registered.',
  invalid_grant:
    'The refresh token or code was refused (expired, revoked or used twice): log in again with `azcore auth login <server>`.',
  invalid_scope: 'The authorization server refused the scope: check oauth.scope.',
  access_denied: 'The person declined the authorization: run the login again and approve it.',
  unsupported_grant_type: 'The authorization server does not offer this grant: check oauth.grant.',
};

/**
 * An OAuth failure (the SDK's `OAuthError` with an RFC error code, or one of its client-flow
 * errors: issuer mismatch, insecure token endpoint, registration refused, insufficient scope) as
 * an {@link AuthError} with code `OAUTH_<ERROR_CODE>` and a hint for that code, or undefined when
 * `e` is not one. The authorization server's own description is kept to its first line.
 */
export function fromOAuthError(e: unknown, server: string | undefined): AuthError | undefined {
  if (e instanceof OAuthError) {
    const code = String(e.code);
    return new AuthError(`The authorization server refused the request (${code}): ${firstLine(e.message)}.`, {
      server,
      cause: e,
      code: `OAUTH_${code.toUpperCase()}`,
      hint: OAUTH_HINTS[code] ?? 'See docs/auth.md for what each OAuth error means.',
    });
  }
  if (e instanceof OAuthClientFlowError) {
    return new AuthError(`The OAuth flow stopped: ${firstLine(e.message)}.`, {
      server,
      cause: e,
      code: `OAUTH_${e.name
        .replace(/Error$/, '')
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .toUpperCase()}`,
      hint: 'The authorization server or its metadata does not match what the server announced; check the server URL and its authorization server.',
    });
  }
  return undefined;
}
