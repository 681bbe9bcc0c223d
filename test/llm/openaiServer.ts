import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in OpenAI API answers `POST /v1/chat/completions`. */
export type OpenAiServerMode =
  | 'ok'
  | 'toolCall'
  | 'unauthorized'
  | 'rateLimited'
  | 'badRequest'
  | 'serverError'
  | 'garbage'
  | 'hang';

/** The key the tests give ChatOpenAI; the 401 answer quotes it back, as some compatible servers do. */
export const DUMMY_KEY = 'sk-azcore-test-dummy-key';

/**
 * A local HTTP server on 127.0.0.1 that speaks enough of the OpenAI Chat Completions API for a
 * real ChatOpenAI (and the real OpenAI SDK under it) to talk to it: nothing reaches the internet.
 * `requested` resolves on each request (a new promise per request): tests wait on it, never on time.
 */
export class OpenAiServer {
  mode: OpenAiServerMode;
  readonly requests: { url: string; body: unknown }[] = [];
  #server: Server;
  #waiters: (() => void)[] = [];
  #held: ServerResponse[] = [];

  private constructor(mode: OpenAiServerMode) {
    this.mode = mode;
    this.#server = createServer((req, res) => this.#answer(req, res));
  }

  static async start(mode: OpenAiServerMode): Promise<OpenAiServer> {
    const s = new OpenAiServer(mode);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** `http://127.0.0.1:<port>/v1`, the `baseURL` to give the client. */
  get baseURL(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  /** Resolves when the next request has arrived (its body read). */
  requested(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      this.requests.push({ url: req.url ?? '', body: JSON.parse(body || 'null') });
      for (const wake of this.#waiters.splice(0)) wake();
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      const error = (message: string, code: string | null) => ({
        error: { message, type: 'invalid_request_error', code },
      });
      switch (this.mode) {
        case 'ok':
          return json(200, completion({ role: 'assistant', content: 'All done.' }, 'stop'));
        case 'toolCall':
          return json(
            200,
            completion(
              {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
                ],
              },
              'tool_calls',
            ),
          );
        case 'unauthorized':
          return json(401, error(`Incorrect API key provided: ${DUMMY_KEY}.`, 'invalid_api_key'));
        case 'rateLimited':
          return json(429, error('Rate limit reached for requests', 'rate_limit_exceeded'), {
            'retry-after': '7',
          });
        case 'badRequest':
          return json(400, error("Invalid value for 'model': no-such-model.", null));
        case 'serverError':
          return json(500, error('The server had an error while processing your request.', null));
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('<html>captive portal</html>');
        case 'hang':
          this.#held.push(res);
          return;
      }
    });
  }
}

function completion(message: Record<string, unknown>, finish: string) {
  return {
    id: 'chatcmpl-local',
    object: 'chat.completion',
    created: 1,
    model: 'local-model',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed): connecting is refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
