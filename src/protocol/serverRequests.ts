import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
} from '@modelcontextprotocol/client';

/** What a handler of a server's request knows besides the request itself. */
export interface ServerRequestContext {
  /** The server (config name) that asked. */
  server: string;
  /** Aborted when the server cancels the request, the connection closes or the runtime stops. */
  signal: AbortSignal;
}

/**
 * Answers a server's elicitation (`elicitation/create` in the 2025 era, an `InputRequiredResult`
 * round in 2026-07-28): a form (`mode` absent or `'form'`, with `requestedSchema`) or a URL the
 * user should open (`mode: 'url'`). Resolve `{ action: 'accept', content }` (form),
 * `{ action: 'accept' }` (URL opened), `'decline'` or `'cancel'`.
 *
 * @example
 * const elicitation: ElicitationHandler = async (request) =>
 *   request.mode === 'url' ? { action: 'decline' } : { action: 'accept', content: { name: 'Ada' } };
 */
export type ElicitationHandler = (
  request: ElicitRequestParams,
  context: ServerRequestContext,
) => Promise<ElicitResult>;

/**
 * Answers `sampling/createMessage` (deprecated in 2026-07-28, still used by 2025 servers) with an
 * LLM completion. Opt-in per server; `createSamplingHandler` builds one from a LangChain model.
 */
export type SamplingHandler = (
  request: CreateMessageRequestParams,
  context: ServerRequestContext,
) => Promise<CreateMessageResult>;

export type { CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult };
