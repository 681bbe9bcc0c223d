// Module hooks for rootImport.test.ts: appends every URL the ESM loader resolves to `data.log`.
// (CommonJS require() does not pass through these hooks on Node 20; the test records it separately.)
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, `${result.url}\n`);
  return result;
}
