import type { ServerConfig } from '../config/serverConfig.js';
import { secretsOfUrl } from '../errors/redact.js';

/**
 * Values that must never reach a log, an event or the dashboard: env values and secret-looking
 * flags of a stdio server; auth-bearing headers and the URL's credentials of an HTTP server.
 */
export function secretValuesOf(config: ServerConfig): string[] {
  const sensitive = /authorization|cookie|token|key|secret|passw(?:or)?d|credential/i;
  if (config.transport === 'stdio') {
    // Env values, and the values of secret-looking flags: `--api-key=X` or `--api-key X`.
    const args = config.args ?? [];
    const fromArgs = args.flatMap((arg, i) => {
      const flag = /^--?([\w.-]+)(?:=(.*))?$/s.exec(arg);
      if (!flag?.[1] || !sensitive.test(flag[1])) return [];
      const next = args[i + 1];
      return flag[2] !== undefined ? [flag[2]] : next !== undefined && !next.startsWith('-') ? [next] : [];
    });
    return [...Object.values(config.env ?? {}), ...fromArgs];
  }
  const fromHeaders = Object.entries(config.headers ?? {})
    .filter(([k]) => sensitive.test(k))
    .flatMap(([, v]) => {
      const token = v.replace(/^(?:Bearer|Basic|Token)\s+/i, '');
      // Basic credentials are base64 of `user:password`: the password shows up decoded elsewhere.
      const basic = /^Basic\s+/i.test(v) ? Buffer.from(token, 'base64').toString('utf8') : '';
      return [v, token, ...(basic.includes(':') ? [basic.slice(basic.indexOf(':') + 1)] : [])];
    });
  const oauth = config.oauth;
  const fromOAuth = oauth ? [oauth.clientSecret, oauth.privateKey].filter((v): v is string => !!v) : [];
  return [...fromHeaders, ...fromOAuth, ...secretsOfUrl(config.url)];
}
