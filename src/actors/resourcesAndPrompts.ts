import type {
  Client,
  GetPromptResult,
  ListResourceTemplatesResult,
  Prompt,
  ReadResourceResult,
  Resource,
} from '@modelcontextprotocol/client';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../config/defaults.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { type EventBus, summarizeError } from '../events/EventBus.js';
import type { ListOperation } from '../events/RuntimeEvent.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { clampTimerMs } from '../resilience/durations.js';
import { retry } from '../resilience/retry.js';
import { SDK_TIMEOUT_SLACK_MS } from './callOutcome.js';
import type { ServerConnection } from './ServerConnection.js';
import { waitForClient } from './waitForClient.js';

// Resources and prompts of one server, through the same breaker, retry and deadline as its tool
// calls. Built on the connection's public surface only (breaker, state, session client), so
// ServerConnection stays one concept; each request is reported as an `operation.completed` event.

/** Options of every request in this file. */
export interface McpRequestOptions {
  /** Budget of the request in ms (default 60 000), capped by `deadline`. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** A caller's budget; the request never outlives it. */
  deadline?: Deadline | undefined;
  /** Where the `operation.completed` event of the request goes (a team passes its bus). */
  bus?: EventBus | undefined;
  clock?: Clock | undefined;
}

/** Default budget of one request, as the connection's request timeout. */

/** Every resource the server lists (pages followed up to the SDK's cap); `[]` without the capability. */
export async function listResources(
  connection: ServerConnection,
  options: McpRequestOptions = {},
): Promise<Resource[]> {
  const result = await request(
    connection,
    'resources/list',
    options,
    (client, o) => client.listResources(undefined, { ...o, cacheMode: 'refresh' }),
    (r) => r.resources.length,
  );
  return result.resources;
}

/** Every resource template the server lists; `[]` without the capability. */
export async function listResourceTemplates(
  connection: ServerConnection,
  options: McpRequestOptions = {},
): Promise<ListResourceTemplatesResult['resourceTemplates']> {
  const result = await request(
    connection,
    'resources/templates/list',
    options,
    (client, o) => client.listResourceTemplates(undefined, { ...o, cacheMode: 'refresh' }),
    (r) => r.resourceTemplates.length,
  );
  return result.resourceTemplates;
}

/** The contents of one resource (`text` or base64 `blob` entries). */
export function readResource(
  connection: ServerConnection,
  uri: string,
  options: McpRequestOptions = {},
): Promise<ReadResourceResult> {
  return request(connection, 'resources/read', options, (client, o) =>
    client.readResource({ uri }, { ...o, cacheMode: 'refresh' }),
  );
}

/** Every prompt the server lists (pages followed up to the SDK's cap); `[]` without the capability. */
export async function listPrompts(
  connection: ServerConnection,
  options: McpRequestOptions = {},
): Promise<Prompt[]> {
  const result = await request(
    connection,
    'prompts/list',
    options,
    (client, o) => client.listPrompts(undefined, { ...o, cacheMode: 'refresh' }),
    (r) => r.prompts.length,
  );
  return result.prompts;
}

/** One prompt, filled with `args` (its messages and description). */
export function getPrompt(
  connection: ServerConnection,
  name: string,
  args: Record<string, string> = {},
  options: McpRequestOptions = {},
): Promise<GetPromptResult> {
  return request(connection, 'prompts/get', options, (client, o) =>
    client.getPrompt({ name, arguments: args }, o),
  );
}

type Send<T> = (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>;

/**
 * One request: admitted by the breaker, sent once connected (waiting within the deadline while
 * the server reconnects), judged by the breaker like a tool call, retried after connection
 * failures (these requests only read), and reported as one `operation.completed` event; a list
 * (`count` given) also as one `list.completed` event on the connection's bus.
 */
async function request<T>(
  connection: ServerConnection,
  method: string,
  options: McpRequestOptions,
  send: Send<T>,
  count?: (result: T) => number,
): Promise<T> {
  const server = connection.name;
  const clock = options.clock ?? systemClock;
  const deadline = deadlineFor(connection, method, options, clock);
  const started = clock.now();
  const report = (error?: AzcoreError, listed?: number) => {
    if (count) connection.reportList(method as ListOperation, clock.now() - started, listed, error);
    if (!options.bus?.observed) return;
    options.bus.emit({
      type: 'operation.completed',
      operation: method,
      ok: error === undefined,
      durationMs: clock.now() - started,
      ...(error ? { error: summarizeError(error) } : {}),
      labels: { server },
      at: clock.now(),
      source: `server:${server}`,
    });
  };
  try {
    const result = await retry(() => attempt(connection, deadline, send), {
      maxAttempts: 3,
      shouldRetry: (error) => error.retryable && error.kind === 'connection',
      deadline,
      clock,
      server,
    });
    report(undefined, count?.(result));
    return result;
  } catch (e) {
    const error = classifyError(e, { server, signal: deadline.signal });
    report(error);
    throw error;
  } finally {
    deadline.dispose();
  }
}

async function attempt<T>(connection: ServerConnection, deadline: Deadline, send: Send<T>): Promise<T> {
  const { breaker, name: server } = connection;
  const permit = breaker.acquire();
  if (isCircuitOpenError(permit)) throw permit;
  let client: Client | undefined;
  try {
    client = await waitForClient(connection, { deadline });
    const result = await send(client, {
      signal: deadline.signal,
      timeout: clampTimerMs(Math.max(1, deadline.remaining()) + SDK_TIMEOUT_SLACK_MS),
    });
    // SDK v2 answers a listing on a client closed meanwhile with an empty list: not an answer.
    if (connection.session.client !== client) {
      throw new ConnectionError('The connection closed during the request.', {
        server,
        code: 'NOT_CONNECTED',
      });
    }
    permit.success();
    return result;
  } catch (e) {
    const error = classifyError(e, { server, signal: deadline.signal });
    const local = client !== undefined && connection.session.closedLocally(client);
    permit.failure(error, { local });
    throw error;
  } finally {
    permit.release(); // a no-op once reported
  }
}

function deadlineFor(
  connection: ServerConnection,
  step: string,
  options: McpRequestOptions,
  clock: Clock,
): Deadline {
  const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const parent = options.deadline;
  if (parent) return parent.child(timeout, step, { signal: options.signal, server: connection.name });
  return Deadline.after(timeout, { clock, signal: options.signal, step, server: connection.name });
}
