// rxjs, loaded when a stream is first read: importing azcore/connection (or the root) loads no rxjs
// module, and a connection nobody observes never loads it (about a fifth of that entry's cold import,
// 53 CommonJS files). By module, not the index (which loads every operator). Node resolves both
// `require` and `import` of rxjs to its CommonJS build, so these are the very module instances an
// application's `import { Observable } from 'rxjs'` gets (test/actors/rxjsInterop.test.ts).
import { createRequire } from 'node:module';
import type * as BehaviorSubjectModule from 'rxjs/internal/BehaviorSubject';
import type * as FirstValueFromModule from 'rxjs/internal/firstValueFrom';
import type * as CombineLatestModule from 'rxjs/internal/observable/combineLatest';
import type * as FromModule from 'rxjs/internal/observable/from';
import type * as DistinctUntilChangedModule from 'rxjs/internal/operators/distinctUntilChanged';
import type * as FilterModule from 'rxjs/internal/operators/filter';
import type * as MapModule from 'rxjs/internal/operators/map';
import type * as SubjectModule from 'rxjs/internal/Subject';

/** The rxjs exports the connection and team code use, each module required on first access. */
interface Rx {
  readonly Subject: typeof SubjectModule.Subject;
  readonly BehaviorSubject: typeof BehaviorSubjectModule.BehaviorSubject;
  readonly firstValueFrom: typeof FirstValueFromModule.firstValueFrom;
  readonly from: typeof FromModule.from;
  readonly combineLatest: typeof CombineLatestModule.combineLatest;
  readonly filter: typeof FilterModule.filter;
  readonly map: typeof MapModule.map;
  readonly distinctUntilChanged: typeof DistinctUntilChangedModule.distinctUntilChanged;
}

const MODULE_OF: Record<keyof Rx, string> = {
  Subject: 'rxjs/internal/Subject',
  BehaviorSubject: 'rxjs/internal/BehaviorSubject',
  firstValueFrom: 'rxjs/internal/firstValueFrom',
  from: 'rxjs/internal/observable/from',
  combineLatest: 'rxjs/internal/observable/combineLatest',
  filter: 'rxjs/internal/operators/filter',
  map: 'rxjs/internal/operators/map',
  distinctUntilChanged: 'rxjs/internal/operators/distinctUntilChanged',
};

let requireHere: NodeRequire | undefined;
const loaded: Partial<Rx> = {};

/**
 * `rx.Subject`, `rx.BehaviorSubject`, ...: each name's module is required the first time the name is
 * read, then kept. Read them where a stream is built, not at module level (that would load them on import).
 */
export const rx: Rx = Object.defineProperties(
  {} as Rx,
  Object.fromEntries(
    (Object.keys(MODULE_OF) as (keyof Rx)[]).map((name) => [
      name,
      {
        get: () => {
          if (loaded[name] === undefined) {
            requireHere ??= createRequire(import.meta.url);
            (loaded as Record<string, unknown>)[name] = (requireHere(MODULE_OF[name]) as Rx)[name];
          }
          return loaded[name];
        },
      },
    ]),
  ),
);

type FunctionName = Exclude<keyof Rx, 'Subject' | 'BehaviorSubject'>;

/** A function that requires rxjs's `name` on its first call and forwards every call to it. */
function onUse<K extends FunctionName>(name: K): Rx[K] {
  return ((...args: unknown[]) => (rx[name] as (...a: unknown[]) => unknown)(...args)) as unknown as Rx[K];
}

// The functions under their rxjs names and types, so a module swaps its rxjs import line for this one.
export const firstValueFrom = onUse('firstValueFrom');
export const from = onUse('from');
export const combineLatest = onUse('combineLatest');
export const filter = onUse('filter');
export const map = onUse('map');
export const distinctUntilChanged = onUse('distinctUntilChanged');
