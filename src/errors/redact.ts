/**
 * The one redaction of the runtime: every channel that can carry server- or config-controlled text
 * (log lines, events, error messages, the dashboard) goes through it, so a secret scrubbed in one
 * place is scrubbed in all of them.
 *
 * Two rules: literal secret values registered on a {@link Redactor} (env values, header tokens,
 * URL credentials) become `[redacted]`; credentials inside URLs (`user:pass@`, `?token=...`) become
 * `***` whether or not anyone registered them.
 */

/** What a registered secret value becomes. */
export const REDACTED = '[redacted]';
/** What the credential parts of a URL become. */
export const URL_MASK = '***';
/** Shorter values are not registered: scrubbing them would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/** Query parameter names whose values are credentials. */
export const SENSITIVE_PARAM = /token|key|secret|passw(?:or)?d|auth|sig|credential/i;

// `scheme://userinfo@`: userinfo stops at the first character that ends an authority.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@"'<>`]+@/gi;
// `?name=value` or `&name=value` (also `;`), wherever it sits: full URLs, paths, request lines.
const PARAM = /([?&;] ?[^=&#\s"'<>`]*)=([^&#;\s"'<>`]*)/g;

/**
 * Masks the credentials of every URL in `text`: userinfo and the values of sensitive query
 * parameters. Text without them comes back as the same string.
 *
 * @example
 * redactUrls('GET https://user:pass@host/x?token=abc&q=1 failed');
 * // 'GET https://***@host/x?token=***&q=1 failed'
 */
export function redactUrls(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(USERINFO, `$1${URL_MASK}@`);
  if (out.includes('=')) {
    out = out.replace(PARAM, (whole, name: string, value: string) =>
      value !== '' && value !== URL_MASK && SENSITIVE_PARAM.test(name) ? `${name}=${URL_MASK}` : whole,
    );
  }
  return out;
}

/**
 * The redacted form of one URL, for echoing a config (`toString`, tables, the dashboard).
 *
 * @example
 * redactUrl('https://user:pass@host/x?token=abc&q=1'); // 'https://***@host/x?token=***&q=1'
 */
export function redactUrl(url: string | URL): string {
  return redactUrls(typeof url === 'string' ? url : url.href);
}

/**
 * The secret values a URL carries: its password (its username when it has no password, as with
 * token-as-username URLs) and the values of its sensitive query parameters. For registering on a
 * {@link Redactor}, so the values are scrubbed even where they appear without their URL.
 */
export function secretsOfUrl(url: string | URL): string[] {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return [];
  }
  const out: string[] = [];
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (u.password) out.push(decode(u.password));
  else if (u.username) out.push(decode(u.username));
  for (const [name, value] of u.searchParams) if (SENSITIVE_PARAM.test(name) && value) out.push(value);
  return out;
}

/**
 * A set of secret values and the scrubbing that goes with it. One per runtime (a logger and its
 * children share one; an event bus has one); registering the same value twice is harmless.
 *
 * @example
 * const r = new Redactor(['s3cr3t-token']);
 * r.redact('auth s3cr3t-token at https://u:p@h/'); // 'auth [redacted] at https://***@h/'
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  #pattern: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** Number of registered values. */
  get size(): number {
    return this.#secrets.size;
  }

  /**
   * Registers secret values (and their URL-encoded and JSON-escaped forms). Values shorter
   * than {@link MIN_SECRET_LENGTH} are ignored.
   */
  add(values: Iterable<string>): void {
    const before = this.#secrets.size;
    for (const v of values) {
      if (typeof v !== 'string' || v.length < MIN_SECRET_LENGTH) continue;
      this.#secrets.add(v);
      // The forms it takes inside a URL and inside a JSON string.
      this.#secrets.add(encodeURIComponent(v));
      this.#secrets.add(JSON.stringify(v).slice(1, -1));
    }
    if (this.#secrets.size !== before) this.#pattern = undefined;
  }

  /** `text` with every registered value and every URL credential masked; the same string when clean. */
  redact(text: string): string {
    let out = text;
    if (this.#secrets.size > 0) {
      this.#pattern ??= new RegExp(
        [...this.#secrets]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|'),
        'g',
      );
      out = out.replace(this.#pattern, REDACTED);
    }
    return redactUrls(out);
  }

  /**
   * Every string inside `value` (objects and arrays, to a bounded depth) redacted. Returns `value`
   * itself when nothing changed, so a clean event costs no copy.
   */
  redactDeep<T>(value: T, depth = 0): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((v, i) => {
        const r = this.redactDeep(v, depth + 1);
        if (r === v) return;
        out ??= [...value];
        out[i] = r;
      });
      return (out ?? value) as T;
    }
    // Only plain records: errors, URLs, buffers and class instances keep their identity.
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = this.redactDeep(v, depth + 1);
      if (r === v) continue;
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = r;
    }
    return (out ?? value) as T;
  }
}

const REDACTOR = Symbol.for('azcore.redactor');

/** Gives `holder` (a logger, an event bus) a redactor that {@link redactorOf} and {@link addSecrets} find. */
export function attachRedactor<T extends object>(holder: T, redactor: Redactor = new Redactor()): T {
  Object.defineProperty(holder, REDACTOR, { value: redactor, configurable: true });
  return holder;
}

/** The redactor attached to `holder` (a pino child finds its parent's through the prototype chain). */
export function redactorOf(holder: object): Redactor | undefined {
  return (holder as Record<symbol, Redactor | undefined>)[REDACTOR];
}

/**
 * Registers secret values on the redactor of each holder: a logger made by `createLogger` (its
 * children share it), an `EventBus`, or a {@link Redactor}. Holders without one are skipped.
 * Values shorter than 4 characters are ignored: scrubbing them would mangle ordinary text.
 *
 * @example
 * addSecrets([logger, bus], [process.env.API_TOKEN ?? '']);
 */
export function addSecrets(holders: object | readonly object[], values: Iterable<string>): void {
  const list = Array.isArray(holders) ? (holders as readonly object[]) : [holders];
  const all = [...values];
  for (const holder of list) {
    const redactor = holder instanceof Redactor ? holder : redactorOf(holder);
    redactor?.add(all);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
