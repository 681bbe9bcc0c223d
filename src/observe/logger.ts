import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level; default `AZCORE_LOG_LEVEL` or `warn`. */
  level?: string | undefined;
  /** Where JSON lines go; default stderr (stdout belongs to the application). */
  destination?: DestinationStream | undefined;
  /** Literal secret values to scrub from every log line (env values, tokens). */
  secrets?: Iterable<string> | undefined;
}

const SECRETS = Symbol('azcore.secrets');
const REDACTED = '[redacted]';

/** Header and env fields that never reach a log, wherever they sit in a logged object. */
const REDACT_PATHS = [
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'headers.Cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  '*.headers.Cookie',
  'env',
  '*.env',
];

/**
 * A pino logger for the runtime: JSON lines with a timestamp, Authorization/cookie headers and env
 * blocks redacted, and any registered secret value scrubbed from messages and fields.
 *
 * @example
 * const logger = createLogger({ level: 'info', secrets: [process.env.API_TOKEN ?? ''] });
 * logger.child({ server: 'files' }).info({ operation: 'connect', duration_ms: 12 }, 'connected');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = new Set<string>();
  const scrub = (s: string): string => {
    let out = s;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    return out;
  };
  const pinoOptions: PinoOptions = {
    level: options.level ?? process.env.AZCORE_LOG_LEVEL ?? 'warn',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => (secrets.size === 0 ? object : (scrubDeep(object, scrub) as Record<string, unknown>)),
    },
    hooks: {
      logMethod(args, method) {
        if (secrets.size === 0) return method.apply(this, args);
        const cleaned = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
        return method.apply(this, cleaned);
      },
    },
  };
  const logger = pino(pinoOptions, options.destination ?? pino.destination({ fd: 2, sync: false }));
  Object.defineProperty(logger, SECRETS, { value: secrets });
  addSecrets(logger, options.secrets ?? []);
  return logger;
}

/**
 * Registers more secret values on a logger made by {@link createLogger} (children share them).
 * Values shorter than 4 characters are ignored: scrubbing them would mangle ordinary text.
 */
export function addSecrets(logger: Logger, values: Iterable<string>): void {
  const set = (logger as unknown as Record<symbol, Set<string> | undefined>)[SECRETS];
  if (!set) return;
  for (const v of values) if (v.length >= 4) set.add(v);
}

function scrubDeep(value: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, scrub, depth + 1);
  return out;
}
