import { context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { AuthCredentialChanged, AuthLoginStep } from '../events/RuntimeEvent.js';
import { ATTR, errorAttributes } from './attributes.js';

/**
 * OAuth work folded from `auth.login` and `auth.credential` events, the way connects are folded
 * from `connection.state` (connectionSpans.ts): a span per piece of work, timed by its events.
 *
 * - `auth.login {server}` (INTERNAL): from `started` to `authorized` or `failed`; the steps between
 *   (`awaitingUser`, `exchanging`) are span events, so the time a person took shows as the gap
 *   between them. Parent: the context active when the login started (whoever called `login()`).
 * - `auth.refresh {server}` (CLIENT, a token-endpoint request): from the credential entering
 *   `refreshing` until it leaves it; `valid` is success (with the new expiry), `empty` (a login is
 *   needed: the refresh token was refused) and `stale` (a transient failure) are errors with
 *   `error.type`. A refresh belongs to nobody's request (planned before expiry, or shared by every
 *   call that met a 401), so it is a root span, like a reconnect.
 *
 * Other credential changes (tokens stored by a login, a login becoming necessary) are span events
 * on the login span when one is open. Events never carry a token, so neither do these spans.
 */
export function createAuthTracker(tracer: Tracer): {
  onLogin(e: AuthLoginStep): void;
  onCredential(e: AuthCredentialChanged): void;
  stop(): void;
} {
  const logins = new Map<string, Span>();
  const refreshes = new Map<string, Span>();

  const fail = (span: Span, error: AuthLoginStep['error']) => {
    if (error) span.setAttributes(errorAttributes(error));
    else span.setAttribute(ATTR.errorType, '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, ...(error ? { message: error.message } : {}) });
  };

  return {
    onLogin(e) {
      let span = logins.get(e.server);
      if (e.step === 'started' || !span) {
        span?.end(e.at);
        span = tracer.startSpan(
          `auth.login ${e.server}`,
          { kind: SpanKind.INTERNAL, startTime: e.at, attributes: { [ATTR.server]: e.server } },
          context.active(),
        );
        logins.set(e.server, span);
      }
      if (e.step !== 'started') span.addEvent(`auth.login.${e.step}`, { [ATTR.authStep]: e.step }, e.at);
      if (e.step === 'authorized' || e.step === 'failed') {
        if (e.step === 'failed') fail(span, e.error);
        span.setAttribute(ATTR.authStep, e.step);
        span.end(e.at);
        logins.delete(e.server);
      }
    },
    onCredential(e) {
      const expiry =
        e.expiresAt !== undefined ? { [ATTR.authExpiresAt]: new Date(e.expiresAt).toISOString() } : {};
      logins
        .get(e.server)
        ?.addEvent(
          'auth.credential',
          { 'azcore.auth.credential.from': e.from, 'azcore.auth.credential.to': e.to, ...expiry },
          e.at,
        );
      const open = refreshes.get(e.server);
      if (open && e.from === 'refreshing') {
        refreshes.delete(e.server);
        open.setAttribute('azcore.auth.credential.to', e.to);
        if (e.to === 'valid') open.setAttributes(expiry);
        else fail(open, e.reason);
        open.end(e.at);
      }
      if (e.to === 'refreshing') {
        refreshes.get(e.server)?.end(e.at);
        refreshes.set(
          e.server,
          tracer.startSpan(
            `auth.refresh ${e.server}`,
            {
              kind: SpanKind.CLIENT,
              startTime: e.at,
              attributes: { [ATTR.server]: e.server, 'azcore.auth.credential.from': e.from },
            },
            ROOT_CONTEXT,
          ),
        );
      }
    },
    stop() {
      for (const span of [...logins.values(), ...refreshes.values()]) span.end();
      logins.clear();
      refreshes.clear();
    },
  };
}
