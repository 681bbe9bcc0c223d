import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '../errors/AuthError.js';
import { CancelledError } from '../errors/CancelledError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { TimeoutError } from '../errors/TimeoutError.js';

/** Options of {@link listenForAuthorizationCode}. */
export interface LoopbackRedirectOptions {
  /** Port on 127.0.0.1. Default 0: a free port the system picks (RFC 8252 §7.3 says any port must be accepted). */
  port?: number | undefined;
  /** The redirect path. Default `/callback`. */
  path?: string | undefined;
  /** The `state` the authorization request carried; a redirect with another state is refused. Unset: not checked here. */
  expectedState?: string | undefined;
  /** Aborting stops listening and rejects `code` with a CancelledError. */
  signal?: AbortSignal | undefined;
  /** Rejects `code` with a TimeoutError (code LOGIN_TIMEOUT) after this long. Unset: the caller's own budget applies. */
  timeoutMs?: number | undefined;
}

/** What the authorization server sent back to the redirect URI. */
export interface AuthorizationCodeResponse {
  code: string;
  state: string | undefined;
  /** RFC 9207 issuer identifier, when the server sends one. */
  iss?: string | undefined;
}

/** A listening loopback redirect: put `redirectUri` in the authorization request, await `code`. */
export interface LoopbackRedirect {
  /** `http://127.0.0.1:<port><path>`. */
  redirectUri: string;
  /** The first valid redirect; rejects with an AuthError, TimeoutError or CancelledError. */
  code: Promise<AuthorizationCodeResponse>;
  /** Stops listening (idempotent); a `code` not yet settled rejects with a CancelledError. */
  close(): void;
}

const DEFAULT_PATH = '/callback';

/**
 * Listens on 127.0.0.1 for the browser's redirect back from the authorization server (the
 * loopback redirect of RFC 8252). Only `GET <path>` is served (404 elsewhere, 405 for other
 * methods); the browser gets a small page saying it can close the tab. A wrong `state`, an
 * `error=` redirect or a redirect without a code rejects `code` with an AuthError naming the
 * cause. The listener closes itself after the first redirect, valid or not. The code is never
 * logged nor shown.
 *
 * @example
 * const redirect = await listenForAuthorizationCode({ expectedState: state, timeoutMs: 300_000 });
 * openBrowser(authorizationUrl(redirect.redirectUri, state));
 * const { code } = await redirect.code; // the listener has closed
 */
export async function listenForAuthorizationCode(
  options: LoopbackRedirectOptions = {},
): Promise<LoopbackRedirect> {
  const path = options.path ?? DEFAULT_PATH;
  if (!path.startsWith('/')) {
    throw new ConfigurationError(`Invalid loopback redirect path '${path}': it must start with '/'.`, {
      hint: "Use a path such as '/callback'.",
    });
  }
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw cancelled();

  let settle!: { resolve(r: AuthorizationCodeResponse): void; reject(e: unknown): void };
  const code = new Promise<AuthorizationCodeResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  code.catch(() => {}); // a caller that only calls close() must not see an unhandled rejection
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== path)
      return send(res, 404, 'Not found', 'This address only takes the login redirect.');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return send(res, 405, 'Method not allowed', 'This address only takes the login redirect.');
    }
    if (done) return send(res, 410, 'Login already finished', 'You can close this tab.');
    const outcome = readRedirect(url, options.expectedState);
    if (outcome instanceof AuthError) {
      send(res, 400, 'Login failed', `${outcome.message} You can close this tab and start the login again.`);
      finish(() => settle.reject(outcome));
    } else {
      send(res, 200, 'Login complete', 'You can close this tab and return to the terminal.');
      finish(() => settle.resolve(outcome));
    }
  });

  const close = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    server.close();
    server.closeIdleConnections();
  };
  function finish(act: () => void): void {
    if (done) return;
    done = true;
    act();
    close();
  }
  function onAbort(): void {
    finish(() => settle.reject(cancelled()));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    const errno = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigurationError(
      `Cannot listen for the login redirect on 127.0.0.1:${options.port ?? 0} (${errno}).`,
      {
        cause: e,
        code: 'REDIRECT_LISTEN',
        hint: 'Pick another port (0 lets the system choose), or stop what holds this one.',
      },
    );
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  if (timeoutMs !== undefined) {
    timer = setTimeout(
      () =>
        finish(() =>
          settle.reject(
            new TimeoutError(`No login redirect reached ${redirectUri} within ${timeoutMs} ms.`, {
              code: 'LOGIN_TIMEOUT',
              timeoutMs,
              hint: 'Open the authorization URL in a browser on this machine and approve it, or start the login again.',
            }),
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  }

  return { redirectUri, code, close: () => finish(() => settle.reject(closedEarly())) };
}

/** The authorization response of one redirect, or the AuthError it amounts to. */
function readRedirect(url: URL, expectedState: string | undefined): AuthorizationCodeResponse | AuthError {
  const q = url.searchParams;
  const state = q.get('state') ?? undefined;
  // Checked first: an error= redirect with a foreign state is not ours to report.
  if (expectedState !== undefined && state !== expectedState) {
    return new AuthError('The login redirect does not belong to this login (state mismatch).', {
      code: 'STATE_MISMATCH',
      hint: 'Use the newest authorization URL; an old tab or another site sent this redirect.',
    });
  }
  const error = q.get('error');
  if (error !== null) {
    const code = error.replace(/[^A-Za-z0-9_]/g, '').slice(0, 64) || 'unknown';
    const description = q.get('error_description')?.split('\n')[0]?.slice(0, 200);
    return new AuthError(
      `The authorization server refused the login: ${code}${description ? ` (${description})` : ''}.`,
      {
        code: `OAUTH_${code.toUpperCase()}`,
        hint:
          code === 'access_denied'
            ? 'The login was declined in the browser; start it again and approve it.'
            : 'Check the client registration and the scope requested, then start the login again.',
      },
    );
  }
  const value = q.get('code');
  if (!value) {
    return new AuthError('The login redirect carries no authorization code.', {
      code: 'MISSING_CODE',
      hint: 'Start the login again from the newest authorization URL.',
    });
  }
  const iss = q.get('iss');
  return { code: value, state, ...(iss === null ? {} : { iss }) };
}

function send(res: ServerResponse<IncomingMessage>, status: number, title: string, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>azcore: ${escapeHtml(title)}</title>` +
      '<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;padding:0 1rem}</style></head>' +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cancelled(): CancelledError {
  return new CancelledError('The login was cancelled while waiting for the redirect.', {
    code: 'LOGIN_CANCELLED',
  });
}

function closedEarly(): CancelledError {
  return new CancelledError('The login redirect listener was closed before a redirect arrived.', {
    code: 'LOGIN_CANCELLED',
  });
}
