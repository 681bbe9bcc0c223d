import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenForAuthorizationCode } from '../../src/auth/loopbackRedirect.js';

const settled = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as Error & { kind: string; code: string } }),
  );

describe('listenForAuthorizationCode', () => {
  it('takes the code from the redirect, answers the browser and closes itself', async () => {
    const redirect = await listenForAuthorizationCode({ expectedState: 's-123' });
    expect(redirect.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const res = await fetch(
      `${redirect.redirectUri}?code=the-code&state=s-123&iss=https%3A%2F%2Fas.example.com`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('You can close this tab');
    expect(page).not.toContain('the-code');
    await expect(redirect.code).resolves.toEqual({
      code: 'the-code',
      state: 's-123',
      iss: 'https://as.example.com',
    });
    await expect(fetch(redirect.redirectUri)).rejects.toThrow(/fetch failed/);
    redirect.close();
  });

  it('refuses a redirect with another state, naming the cause to the caller and the browser', async () => {
    const redirect = await listenForAuthorizationCode({ expectedState: 'mine' });
    const res = await fetch(`${redirect.redirectUri}?code=c&state=someone-elses`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/state mismatch/);
    const { error } = await settled(redirect.code);
    expect(error).toMatchObject({ kind: 'auth', code: 'STATE_MISMATCH' });
    expect(error?.message).toMatch(
      /does not belong to this login \(state mismatch\)\. Use the newest authorization URL/,
    );
  });

  it('turns error=access_denied into an AuthError, and escapes what the server wrote', async () => {
    const redirect = await listenForAuthorizationCode({ expectedState: 'st' });
    const description = encodeURIComponent('<script>alert(1)</script> user said no');
    const res = await fetch(
      `${redirect.redirectUri}?error=access_denied&error_description=${description}&state=st`,
    );
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&#60;script&#62;');
    const { error } = await settled(redirect.code);
    expect(error).toMatchObject({ kind: 'auth', code: 'OAUTH_ACCESS_DENIED' });
    expect(error?.message).toMatch(
      /refused the login: access_denied \(<script>alert\(1\)<\/script> user said no\)\. The login was declined/,
    );
  });

  it('a redirect without a code is an AuthError; without expectedState any state passes', async () => {
    const missing = await listenForAuthorizationCode();
    expect((await fetch(`${missing.redirectUri}?state=x`)).status).toBe(400);
    expect((await settled(missing.code)).error).toMatchObject({ code: 'MISSING_CODE' });

    const loose = await listenForAuthorizationCode({ path: '/oauth/done' });
    expect(loose.redirectUri).toMatch(/\/oauth\/done$/);
    await fetch(`${loose.redirectUri}?code=abc`);
    await expect(loose.code).resolves.toEqual({ code: 'abc', state: undefined });
  });

  it('serves only GET on its path: 404 elsewhere, 405 for other methods, and keeps waiting', async () => {
    const redirect = await listenForAuthorizationCode({ expectedState: 'st' });
    const origin = new URL(redirect.redirectUri).origin;
    expect((await fetch(`${origin}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${origin}/callback/extra?code=c&state=st`)).status).toBe(404);
    const post = await fetch(`${redirect.redirectUri}?code=c&state=st`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    await fetch(`${redirect.redirectUri}?code=late&state=st`);
    await expect(redirect.code).resolves.toMatchObject({ code: 'late' });
  });

  it('abort and close stop listening and reject the code with a CancelledError', async () => {
    const controller = new AbortController();
    const redirect = await listenForAuthorizationCode({ signal: controller.signal });
    controller.abort();
    expect((await settled(redirect.code)).error).toMatchObject({
      kind: 'cancelled',
      code: 'LOGIN_CANCELLED',
    });
    await expect(fetch(redirect.redirectUri)).rejects.toThrow(/fetch failed/);

    const closed = await listenForAuthorizationCode();
    closed.close();
    closed.close();
    expect((await settled(closed.code)).error?.message).toMatch(/closed before a redirect arrived/);

    await expect(listenForAuthorizationCode({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      kind: 'cancelled',
    });
  });

  it('times out with a TimeoutError naming the redirect URI', async () => {
    const redirect = await listenForAuthorizationCode({ timeoutMs: 1 });
    const { error } = await settled(redirect.code);
    expect(error).toMatchObject({ kind: 'timeout', code: 'LOGIN_TIMEOUT' });
    expect(error?.message).toContain(`No login redirect reached ${redirect.redirectUri} within 1 ms.`);
  });

  it('a taken port is a ConfigurationError saying what to do; a bad path too', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    await expect(listenForAuthorizationCode({ port })).rejects.toThrow(
      new RegExp(
        `Cannot listen for the login redirect on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)\\. Pick another port`,
      ),
    );
    holder.close();
    await expect(listenForAuthorizationCode({ path: 'callback' })).rejects.toMatchObject({
      kind: 'configuration',
    });
  });
});
