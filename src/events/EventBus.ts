import { filter, type Observable, Subject } from 'rxjs';
import type { AzcoreError } from '../errors/AzcoreError.js';
import type { ErrorSummary, RuntimeEvent, RuntimeEventType } from './RuntimeEvent.js';

/**
 * A hot stream of {@link RuntimeEvent}s. Emitting with no subscriber costs one method call.
 *
 * @example
 * const bus = new EventBus();
 * bus.events$.subscribe((e) => console.log(e.type));
 */
export class EventBus {
  readonly #subject = new Subject<RuntimeEvent>();
  readonly events$: Observable<RuntimeEvent> = this.#subject.asObservable();

  emit(event: RuntimeEvent): void {
    if (this.#subject.observed) this.#subject.next(event);
  }

  /** True when someone listens: lets hot paths skip building an event nobody reads. */
  get observed(): boolean {
    return this.#subject.observed;
  }

  complete(): void {
    this.#subject.complete();
  }
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

/** The JSON-safe summary that events carry. */
export function summarizeError(e: AzcoreError): ErrorSummary {
  return { kind: e.kind, code: e.code, message: e.message, retryable: e.retryable };
}
