import type { Observable } from 'rxjs/internal/Observable';
import type { Subject } from 'rxjs/internal/Subject';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { attachRedactor, Redactor, redactUrls } from '../errors/redact.js';
import type { ErrorSummary, RuntimeEvent, RuntimeEventType } from './RuntimeEvent.js';
import { filter, rx } from './rxjsOnUse.js';

/**
 * Events whose strings can carry server- or config-controlled text (stderr lines, error messages,
 * health details). The others hold names, numbers and enums only and pass through untouched, so
 * the hot call events cost no scan.
 */
const CARRIES_TEXT = new Set<RuntimeEventType>([
  'server.stderr',
  'connection.state',
  'call.failed',
  'call.retried',
  'call.rejected',
  'server.ping',
  'operation.completed',
  'list.completed',
  'health.checked',
  'pool.acquireFailed',
  'pool.buildFailed',
  'pool.replaced',
]);

/**
 * A hot stream of {@link RuntimeEvent}s. Emitting with no subscriber costs one method call; a bus
 * whose `events$` nobody has read has no Subject yet (rxjs loads on the first read).
 * Events that carry text go through the bus's {@link Redactor} once, before any subscriber sees
 * them: secret values registered with `addSecrets(bus, ...)` and URL credentials never reach
 * `events$` (nor the logs, metrics and dashboard derived from it).
 *
 * @example
 * const bus = new EventBus();
 * addSecrets(bus, [process.env.API_TOKEN ?? '']);
 * bus.events$.subscribe((e) => console.log(e.type));
 */
export class EventBus {
  /** Created by the first read of {@link events$}: until then nobody can be listening. */
  #subject: Subject<RuntimeEvent> | undefined;
  #events$: Observable<RuntimeEvent> | undefined;
  #completed = false;
  /** The secrets this bus scrubs; share it with a logger through `createLogger({ redactor })`. */
  readonly redactor: Redactor;

  constructor(options: { redactor?: Redactor | undefined } = {}) {
    this.redactor = options.redactor ?? new Redactor();
    attachRedactor(this, this.redactor);
  }

  /** Every event emitted from now on (a hot stream: no replay); completes with {@link complete}. */
  get events$(): Observable<RuntimeEvent> {
    if (this.#events$ === undefined) {
      const subject = new rx.Subject<RuntimeEvent>();
      if (this.#completed) subject.complete();
      this.#subject = subject;
      this.#events$ = subject.asObservable();
    }
    return this.#events$;
  }

  emit(event: RuntimeEvent): void {
    const subject = this.#subject;
    if (subject === undefined || !subject.observed) return;
    subject.next(redactEvent(event, this.redactor));
  }

  /** True when someone listens: lets hot paths skip building an event nobody reads. */
  get observed(): boolean {
    return this.#subject?.observed ?? false;
  }

  complete(): void {
    this.#completed = true;
    this.#subject?.complete();
  }
}

/**
 * `event` with its text fields redacted (the same object when nothing needed it): what the bus does
 * to every event it carries, for views that take events from elsewhere too.
 */
export function redactEvent<E extends RuntimeEvent>(event: E, redactor: Redactor): E {
  return CARRIES_TEXT.has(event.type) ? redactor.redactDeep(event) : event;
}

/**
 * RxJS operator that keeps events of the given types, narrowed.
 *
 * @example
 * events$.pipe(ofType('breaker.transition')).subscribe((e) => console.log(e.to));
 */
export function ofType<T extends RuntimeEventType>(
  ...types: T[]
): (source: Observable<RuntimeEvent>) => Observable<Extract<RuntimeEvent, { type: T }>> {
  const wanted = new Set<RuntimeEventType>(types);
  return filter((e): e is Extract<RuntimeEvent, { type: T }> => wanted.has(e.type));
}

/**
 * The JSON-safe summary that events (and status views) carry. The message is URL-redacted here too,
 * for errors built without the AzcoreError constructor's redaction; a bus also scrubs its secrets.
 */
export function summarizeError(e: AzcoreError): ErrorSummary {
  return { kind: e.kind, code: e.code, message: redactUrls(e.message), retryable: e.retryable };
}
