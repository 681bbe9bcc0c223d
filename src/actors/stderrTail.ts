/**
 * The last lines a server wrote to stderr, bounded in lines and characters: what an error about
 * the server's exit quotes, so the reason (a missing module, a bad flag) is where the user looks.
 *
 * @example
 * const tail = new StderrTail();
 * tail.push('Error: Cannot find module ./server.js');
 * tail.text(); // 'Error: Cannot find module ./server.js'
 */
export class StderrTail {
  readonly #lines: string[] = [];
  readonly #maxLines: number;
  readonly #maxChars: number;

  constructor(maxLines = 5, maxChars = 2_048) {
    this.#maxLines = maxLines;
    this.#maxChars = maxChars;
  }

  push(line: string): void {
    const trimmed = line.trimEnd();
    if (trimmed === '') return;
    this.#lines.push(trimmed.length > this.#maxChars ? `${trimmed.slice(0, this.#maxChars)}…` : trimmed);
    if (this.#lines.length > this.#maxLines) this.#lines.shift();
  }

  /** The kept lines, newest last, at most `maxChars` characters in all (the oldest part cut). */
  text(): string {
    const all = this.#lines.join('\n');
    return all.length > this.#maxChars ? `…${all.slice(all.length - this.#maxChars)}` : all;
  }
}
