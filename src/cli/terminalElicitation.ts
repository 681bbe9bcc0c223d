import type { ElicitationHandler, ElicitRequestParams, ElicitResult } from '../protocol/serverRequests.js';
import { fieldPrompt, formFields, parseAnswer, printable } from './formFields.js';
import { LineReader } from './lineReader.js';

/**
 * How `azcore run` answers a server's elicitation: `ask` at the terminal, `decline` at once, or
 * `auto` (ask when stdin is a terminal, decline otherwise: CI and pipes never hang on a question).
 */
export type ElicitationMode = 'auto' | 'ask' | 'decline';
export const ELICITATION_MODES: readonly ElicitationMode[] = ['auto', 'ask', 'decline'];

export interface TerminalElicitationOptions {
  mode?: ElicitationMode;
  /** Default `process.stdin`. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where questions go. Default `process.stderr` (stdout carries the answer). */
  output?: NodeJS.WritableStream;
  /** Ctrl-C at a prompt (the question is cancelled first). Default: re-raise SIGINT. */
  onInterrupt?: () => void;
}

export interface TerminalElicitation {
  handler: ElicitationHandler;
  /** Stops reading stdin (if it was ever read), so the process can exit. */
  close(): void;
}

/**
 * An elicitation handler for a terminal: a form asks each field of `requestedSchema` in turn (an
 * empty answer takes the field's default, leaves an optional field out, and declines the form for a
 * required one); a URL is printed with the message and accepted only once the user confirms. One
 * question at a time, even when tools ask concurrently.
 *
 * @example
 * const asker = terminalElicitation({ mode: 'auto' });
 * builder.withElicitation(asker.handler);
 * // ... finally: asker.close();
 */
export function terminalElicitation(options: TerminalElicitationOptions = {}): TerminalElicitation {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  const mode = options.mode ?? 'auto';
  const interactive = mode === 'ask' || (mode === 'auto' && input.isTTY === true);
  const reader = new LineReader(input, output, {
    onInterrupt: options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT')),
  });
  const say = (line: string) => output.write(`${line}\n`);
  let turn: Promise<unknown> = Promise.resolve();

  const handler: ElicitationHandler = (request, { server, signal }) => {
    if (!interactive) {
      const why =
        mode === 'decline'
          ? 'declined (--elicitation decline)'
          : 'declined because stdin is not a terminal (pass --elicitation ask to answer from stdin)';
      say(`azcore: ${printable(server)} ${summary(request)}; ${why}.`);
      return Promise.resolve({ action: 'decline' });
    }
    const answer = turn.then(() =>
      request.mode === 'url' ? askUrl(request, server, signal) : askForm(request, server, signal),
    );
    turn = answer.catch(() => {});
    return answer;
  };

  async function askForm(
    request: ElicitRequestParams,
    server: string,
    signal: AbortSignal,
  ): Promise<ElicitResult> {
    say(`${printable(server)} asks: ${printable(request.message)}`);
    const content: Record<string, unknown> = {};
    for (const field of formFields((request as { requestedSchema?: unknown }).requestedSchema)) {
      for (;;) {
        const answer = await reader.ask(fieldPrompt(field), signal);
        if (answer.kind !== 'line') return cancelled(answer.kind);
        const line = answer.text;
        if (line.trim() === '') {
          if (field.schema.default !== undefined) content[field.key] = field.schema.default;
          else if (field.required) {
            say(`  no answer for ${printable(field.key)}: declined`);
            return { action: 'decline' };
          }
          break;
        }
        const parsed = parseAnswer(field, line);
        if (parsed.ok) {
          content[field.key] = parsed.value;
          break;
        }
        say(
          `  ${parsed.problem}; try again${field.required && field.schema.default === undefined ? ' (empty declines)' : ''}`,
        );
      }
    }
    return { action: 'accept', content: content as ElicitResult['content'] };
  }

  async function askUrl(
    request: ElicitRequestParams,
    server: string,
    signal: AbortSignal,
  ): Promise<ElicitResult> {
    const url = (request as { url?: string }).url ?? '';
    say(`${printable(server)} asks you to open a URL: ${printable(request.message)}`);
    say(`  ${printable(url)}`);
    const answer = await reader.ask('  Open it, then confirm here [y/N]: ', signal);
    if (answer.kind !== 'line') return cancelled(answer.kind);
    if (/^\s*(y|yes)\s*$/i.test(answer.text)) return { action: 'accept' };
    say('  declined');
    return { action: 'decline' };
  }

  function cancelled(why: 'ended' | 'aborted' | 'interrupted'): ElicitResult {
    const reason = {
      ended: 'no more input',
      aborted: 'the request was cancelled',
      interrupted: 'interrupted',
    }[why];
    say(`  ${reason}: cancelled`);
    return { action: 'cancel' };
  }

  return { handler, close: () => reader.close() };
}

/** `asked "Your name?" (a form: name)` / `asked to open https://... ("Sign in")`, on one line. */
function summary(request: ElicitRequestParams): string {
  const message = JSON.stringify(printable(request.message));
  if (request.mode === 'url')
    return `asked to open ${printable((request as { url?: string }).url ?? '')} (${message})`;
  const fields = formFields((request as { requestedSchema?: unknown }).requestedSchema).map((f) =>
    printable(f.key),
  );
  return `asked ${message} (a form${fields.length ? `: ${fields.join(', ')}` : ''})`;
}
