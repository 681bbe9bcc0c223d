import { AzcoreError } from './AzcoreError.js';
import { CancelledError } from './CancelledError.js';
import { CANCELLED_HINT } from './fromMcpError.js';
import { errnoOf, firstLine } from './fromTransportFailure.js';
import { ModelError, type ModelErrorDetails, type ModelFailureReason } from './ModelError.js';
import { TimeoutError } from './TimeoutError.js';

/** What the agent loop knows about the model whose call failed. */
export interface ModelFailureContext {
  /** `openai`, `offline`, or the LangChain `_llmType()` of another chat model. */
  provider: string;
  model?: string | undefined;
  /** The base URL the client talks to, named in network failures (credentials are masked). */
  endpoint?: string | undefined;
  /** The API key the model was built with: masked if the provider quotes it back. */
  secret?: string | undefined;
  /** The signal the call ran under: a Deadline that ran out is a model timeout, an abort a cancel. */
  signal?: AbortSignal | undefined;
}

/** Environment variables to name in hints, by provider. */
const ENV_OF: Record<string, { key: string; url: string }> = {
  openai: { key: 'OPENAI_API_KEY', url: 'OPENAI_BASE_URL' },
};

const OFFLINE_HINT = "or run with the offline model (provider 'offline', `azcore run --model offline`)";

/**
 * Maps what a chat model throws (ChatOpenAI and the OpenAI SDK: `status` 401/429/5xx, a connection
 * error with the errno in its cause chain, LangChain's `TimeoutError`, a body that is not JSON) to
 * a {@link ModelError} naming the provider. Typed errors pass through; a caller's abort is a
 * `CancelledError`. Duck-typed on purpose: the OpenAI SDK is an optional peer, never imported here.
 */
export function fromModelFailure(e: unknown, ctx: ModelFailureContext): AzcoreError {
  if (e instanceof AzcoreError) return e;
  const who = `The ${named(ctx)}`;
  const env = ENV_OF[ctx.provider];
  const make = (
    reason: ModelFailureReason,
    problem: string,
    hint: string,
    extra: Partial<ModelErrorDetails>,
  ) =>
    new ModelError(mask(`${who} ${problem}`, ctx.secret), {
      provider: ctx.provider,
      model: ctx.model,
      reason,
      cause: e,
      hint,
      ...extra,
    });

  if (ctx.signal?.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof TimeoutError || (reason instanceof Error && reason.name === 'TimeoutError')) {
      return make(
        'timeout',
        `had not answered when the budget ran out: ${firstLine(reason.message)}.`,
        `The provider may be slow, or unreachable without refusing connections (proxy, firewall); raise the turn timeout, check the network${env ? ` and ${env.url}` : ''}, ${OFFLINE_HINT}.`,
        { code: 'DEADLINE', cause: reason },
      );
    }
    if (reason instanceof AzcoreError) return reason;
    return new CancelledError(`The call to the ${named(ctx)} was cancelled by its caller.`, {
      cause: reason ?? e,
      hint: CANCELLED_HINT,
    });
  }

  const status = statusOf(e);
  const said = providerText(e, ctx.secret);
  if (status !== undefined) {
    const code = `HTTP_${status}`;
    const http = `(HTTP ${status}${said ? `: ${said}` : ''})`;
    if (status === 401 || status === 403) {
      return make(
        'auth',
        `refused the credentials ${http}.`,
        `Check ${env ? env.key : 'the API key the model was built with'}${env ? ` (and ${env.url} if you use a compatible server)` : ''}; it is not retried with the same key.`,
        { code, status },
      );
    }
    if (status === 429) {
      const retryAfterMs = retryAfterOf(e);
      return make(
        'rateLimit',
        `is rate limiting or out of quota ${http}.`,
        `Wait${retryAfterMs === undefined ? '' : ` ${Math.ceil(retryAfterMs / 1000)} s`} and retry, send fewer requests, or check the account's quota.`,
        { code, status, retryAfterMs },
      );
    }
    if (status === 408 || status === 504) {
      return make(
        'timeout',
        `timed out on the provider's side ${http}.`,
        'Retry; if it persists, the provider is overloaded.',
        { code, status },
      );
    }
    if (status >= 500) {
      return make(
        'unavailable',
        `failed on the provider's side ${http}.`,
        "Retry later; check the provider's status page if it persists.",
        { code, status },
      );
    }
    return make(
      'badRequest',
      `refused the request ${http}.`,
      status === 404
        ? 'Check the model name (and the base URL): this provider does not serve it.'
        : 'Check the model name and options; the same request fails the same way, so it is not retried.',
      { code, status },
    );
  }

  const name = e instanceof Error ? e.name : '';
  const ctor = (e as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (name === 'TimeoutError' || ctor === 'APIConnectionTimeoutError') {
    return make(
      'timeout',
      "did not answer within the client's request timeout.",
      `Raise the model's timeout, or check the network${env ? ` and ${env.url}` : ''}.`,
      { code: 'TIMEOUT' },
    );
  }
  if (name === 'AbortError' || ctor === 'APIUserAbortError') {
    return new CancelledError(`The call to the ${named(ctx)} was aborted.`, {
      cause: e,
      hint: CANCELLED_HINT,
    });
  }
  const errno = errnoOf(e);
  const connectionFailed =
    ctor === 'APIConnectionError' || (e instanceof Error && e.message === 'fetch failed');
  if (errno !== undefined || connectionFailed) {
    const at = ctx.endpoint ? ` at ${ctx.endpoint}` : '';
    return make(
      'network',
      `could not be reached${at} (${errno ?? 'connection error'}).`,
      `Check the network, a proxy${env ? ` and ${env.url}` : ''}, ${OFFLINE_HINT}.`,
      { code: errno ?? 'CONNECTION_ERROR' },
    );
  }
  if (e instanceof SyntaxError) {
    return make(
      'badResponse',
      `sent a response the client could not read: ${firstLine(e.message)}.`,
      `Check that the base URL${env ? ` (${env.url})` : ''} points at the provider's API, not another service or a proxy page.`,
      { code: 'MALFORMED_RESPONSE' },
    );
  }
  return make(
    'unknown',
    `failed: ${said || 'an unexpected error'}.`,
    'Not a known provider failure; the cause holds the original error.',
    { code: 'UNEXPECTED' },
  );
}

function named(ctx: ModelFailureContext): string {
  return `${ctx.provider} model${ctx.model ? ` "${ctx.model}"` : ''}`;
}

/** The HTTP status an SDK error carries (`status` on OpenAI's APIError). */
function statusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 100 && status < 600 ? status : undefined;
}

/** The provider's own words: `error.message` of the body (without LangChain's troubleshooting note), else the first line. */
function providerText(e: unknown, secret: string | undefined): string {
  const body = (e as { error?: { message?: unknown } } | null)?.error?.message;
  const text = typeof body === 'string' ? body : e instanceof Error ? e.message : String(e);
  return mask(firstLine(text.replace(/^\d{3} /, '')), secret);
}

/** `retry-after` in ms, from a Headers object or a plain record. */
function retryAfterOf(e: unknown): number | undefined {
  const headers = (e as { headers?: unknown } | null)?.headers;
  const raw =
    headers && typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('retry-after')
      : (headers as Record<string, unknown> | undefined)?.['retry-after'];
  const seconds = Number(raw);
  return raw != null && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function mask(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}
