import { createInterface, type Interface } from 'node:readline';

/** What {@link LineReader.ask} got: a line, or why there is none (input ended, request aborted, Ctrl-C). */
export type Answer = { kind: 'line'; text: string } | { kind: 'ended' | 'aborted' | 'interrupted' };

/**
 * Reads answers line by line from a terminal or a pipe. Lines that arrive before they are asked for
 * are queued (a pipe delivers all its answers at once; `readline.question()` would drop them), and
 * the input is only opened on the first question, so a run that asks nothing never touches stdin.
 */
export class LineReader {
  readonly #input: NodeJS.ReadableStream & { isTTY?: boolean; unref?: () => void };
  readonly #output: NodeJS.WritableStream;
  #rl: Interface | undefined;
  readonly #lines: string[] = [];
  #pending: ((answer: Answer) => void) | undefined;
  #ended = false;
  #closed = false;
  #onInterrupt: (() => void) | undefined;

  constructor(
    input: NodeJS.ReadableStream,
    output: NodeJS.WritableStream,
    options: { onInterrupt?: () => void } = {},
  ) {
    this.#input = input;
    this.#output = output;
    this.#onInterrupt = options.onInterrupt;
  }

  /** Shows `prompt` and resolves with the next line (without its newline), or why there is none. */
  ask(prompt: string, signal?: AbortSignal): Promise<Answer> {
    if (this.#closed) return Promise.resolve({ kind: 'ended' });
    const rl = this.#open();
    rl.setPrompt(prompt);
    rl.prompt();
    const queued = this.#lines.shift();
    if (queued !== undefined) {
      // A piped answer was read before its prompt: show it after the prompt, as a terminal would.
      if (!this.#input.isTTY) this.#output.write(`${queued}\n`);
      return Promise.resolve({ kind: 'line', text: queued });
    }
    if (this.#ended || signal?.aborted) {
      this.#output.write('\n');
      return Promise.resolve({ kind: this.#ended ? 'ended' : 'aborted' });
    }
    return new Promise((resolve) => {
      const onAbort = () => this.#pending?.({ kind: 'aborted' });
      this.#pending = (answer) => {
        signal?.removeEventListener('abort', onAbort);
        this.#pending = undefined;
        // A terminal echoes what is typed; a piped answer is shown so the transcript reads like one.
        if (answer.kind !== 'line') this.#output.write('\n');
        else if (!this.#input.isTTY) this.#output.write(`${answer.text}\n`);
        resolve(answer);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops reading and lets the process exit even if the input stays open. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.({ kind: 'ended' });
    const rl = this.#rl;
    this.#rl = undefined;
    if (!rl) return;
    rl.close();
    this.#input.pause();
    this.#input.unref?.();
  }

  #open(): Interface {
    if (this.#rl) return this.#rl;
    const terminal = this.#input.isTTY === true;
    const rl = createInterface({ input: this.#input, output: this.#output, terminal });
    rl.on('line', (text) => {
      if (this.#pending) this.#pending({ kind: 'line', text });
      else this.#lines.push(text);
    });
    rl.on('close', () => {
      this.#ended = true;
      this.#pending?.({ kind: 'ended' });
    });
    // Ctrl-C at a prompt: readline swallows it in raw mode, so pass it on after answering.
    rl.on('SIGINT', () => {
      this.#pending?.({ kind: 'interrupted' });
      this.close();
      this.#onInterrupt?.();
    });
    this.#rl = rl;
    return rl;
  }
}
