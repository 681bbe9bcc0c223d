import { createRequire } from 'node:module';
import type { DestinationStream, Logger, pino as Pino, LoggerOptions as PinoOptions } from 'pino';
import { addSecrets, attachRedactor, REDACTED, Redactor } from '../errors/redact.js';

export type { Logger } from 'pino';
/** Registers secret values on a logger made by {@link createLogger} (children share them), or on an event bus. */
export { addSecrets };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /**
   * pino level; default `AZCORE_LOG_LEVEL`, else `silent`: a runtime embedded in an application
   * writes nothing unless asked (pass a level, or set AZCORE_LOG_LEVEL). The CLI passes its own.
   */
  level?: string | undefined;
  /** Where JSON lines go; default stderr (stdout belongs to the application). */
  destination?: DestinationStream | undefined;
  /** Literal secret values to scrub from every log line (env values, tokens). */
  secrets?: Iterable<string> | undefined;
  /** Share a redactor (and its secrets) with other channels, e.g. an `EventBus`'s. Default: a new one. */
  redactor?: Redactor | undefined;
}

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
 * blocks redacted, and every line passed through the runtime's one redaction ({@link Redactor}):
 * registered secret values and URL credentials (`user:pass@`, `?token=`) never reach the output,
 * wherever they sit (message, fields, serialized errors and their stacks).
 *
 * @example
 * const logger = createLogger({ level: 'info', secrets: [process.env.API_TOKEN ?? ''] });
 * logger.child({ server: 'files' }).info({ operation: 'connect', duration_ms: 12 }, 'connected');
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pino = loadPino();
  const redactor = options.redactor ?? new Redactor();
  redactor.add(options.secrets ?? []);
  const pinoOptions: PinoOptions = {
    level: options.level ?? defaultLogLevel(),
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: { level: (label) => ({ level: label }) },
  };
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return attachRedactor(pino(pinoOptions, redactingStream(destination, redactor)), redactor);
}

/**
 * The destination with each finished line redacted: one place that sees everything pino writes,
 * after serializers, so nothing (an error's message or stack, a nested field) slips past.
 */
function redactingStream(destination: DestinationStream, redactor: Redactor): DestinationStream {
  const write = (chunk: string) =>
    destination.write(typeof chunk === 'string' ? redactor.redact(chunk) : chunk);
  // A proxy, not a wrapper object: pino and multistream keep metadata (lastLevel, flush) on the stream.
  return new Proxy(destination, {
    get(target, prop) {
      if (prop === 'write') return write;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

let pinoModule: typeof Pino | undefined;

/**
 * pino, loaded by the first {@link createLogger}: importing the runtime does not pay for it (about a
 * tenth of `azcore/connection`'s cold import), and a library that stays silent never loads it. pino
 * is CommonJS, so `require` gives the very module an application's own `import 'pino'` gets.
 */
function loadPino(): typeof Pino {
  pinoModule ??= (createRequire(import.meta.url)('pino') as { pino: typeof Pino }).pino;
  return pinoModule;
}

/** The level a logger made by {@link createLogger} without a `level` gets: `AZCORE_LOG_LEVEL`, else `silent`. */
export function defaultLogLevel(): string {
  return process.env.AZCORE_LOG_LEVEL ?? 'silent';
}

const noop = (): void => {};

/**
 * What a runtime logs to when it was given no logger and no level asks for lines: writes nothing
 * and loads nothing (pino stays unloaded). Internal: never handed to users, who get real pino
 * loggers from {@link createLogger}.
 */
export const SILENT_LOGGER: Logger = {
  level: 'silent',
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  silent: noop,
  isLevelEnabled: () => false,
  child() {
    return SILENT_LOGGER;
  },
} as unknown as Logger;
