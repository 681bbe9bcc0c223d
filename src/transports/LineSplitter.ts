/** How much of an oversized line is kept to find its JSON-RPC id: the SDK writes `id` last, others first. */
const EDGE_BYTES = 512;

/** What the splitter reports about a line longer than its cap. */
export interface OversizedLine {
  /** The first bytes of the line. */
  head: string;
  /** The last bytes of the line; empty until the line has ended. */
  tail: string;
  /** Bytes seen so far (the whole line once `ended`). */
  bytes: number;
  /** False when reported at the moment the cap was crossed, true when the line's newline arrived. */
  ended: boolean;
}

/** Callbacks of a {@link LineSplitter}. */
export interface LineSplitterHandlers {
  line(text: string): void;
  /** Called twice per oversized line: when the cap is crossed (`ended: false`) and at its newline. */
  oversized(info: OversizedLine): void;
}

/**
 * Splits a byte stream into newline-terminated lines without ever buffering more than `maxBytes`
 * (plus a small edge) of one line: the rest of an oversized line is counted and dropped, so a
 * runaway server cannot exhaust memory and the lines after it still parse.
 *
 * @example
 * const s = new LineSplitter(1024, { line: console.log, oversized: console.warn });
 * s.push(Buffer.from('{"a":1}\n{"b"'));
 * s.push(Buffer.from(':2}\n')); // logs both lines
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  private discarding: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly handlers: LineSplitterHandlers,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (end > start) this.take(chunk.subarray(start, end));
      if (nl === -1) return;
      this.endLine();
      start = nl + 1;
    }
  }

  /** Drops any partial line (the stream ended without a newline). */
  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.discarding = undefined;
  }

  private take(piece: Buffer): void {
    const d = this.discarding;
    if (d) {
      d.bytes += piece.length;
      d.tail = lastBytes(Buffer.concat([d.tail, piece.subarray(-EDGE_BYTES)]), EDGE_BYTES);
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.chunks.push(piece);
      this.size += piece.length;
      return;
    }
    const head = firstBytes([...this.chunks, piece], EDGE_BYTES);
    this.discarding = {
      head,
      tail: Buffer.from(lastBytes(piece, EDGE_BYTES)),
      bytes: this.size + piece.length,
    };
    this.chunks = [];
    this.size = 0;
    this.handlers.oversized({
      head: head.toString('utf8'),
      tail: '',
      bytes: this.discarding.bytes,
      ended: false,
    });
  }

  private endLine(): void {
    const d = this.discarding;
    if (d) {
      this.discarding = undefined;
      this.handlers.oversized({
        head: d.head.toString('utf8'),
        tail: d.tail.toString('utf8').replace(/\r$/, ''),
        bytes: d.bytes,
        ended: true,
      });
      return;
    }
    const text = Buffer.concat(this.chunks, this.size).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    if (text.trim() !== '') this.handlers.line(text);
  }
}

function lastBytes(b: Buffer, n: number): Buffer {
  return b.length <= n ? b : b.subarray(b.length - n);
}

function firstBytes(buffers: readonly Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  for (const b of buffers) {
    if (size >= n) break;
    const part = b.subarray(0, n - size);
    out.push(part);
    size += part.length;
  }
  return Buffer.concat(out, size);
}
