/** How much of an oversized event is kept to find its JSON-RPC id (raw bytes, field names included). */
const EDGE_BYTES = 1024;
/** Non-data bytes an event may carry beyond the cap (field names, `id:`, comments) before it counts as oversized. */
const FRAMING_ALLOWANCE = 64 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;
const DATA = [0x64, 0x61, 0x74, 0x61]; // "data"

/** What an {@link SseEventCap} reports about an event whose data is larger than its cap. */
export interface OversizedSseEvent {
  /** The start of the event's data (its JSON-RPC message). */
  head: string;
  /** The end of the event's data; empty until the event has ended. */
  tail: string;
  /** Data bytes seen so far (the whole message once `ended`). */
  bytes: number;
  /** False when reported at the moment the cap was crossed, true at the blank line (or the stream's end). */
  ended: boolean;
  /** The event's SSE `id` field, when it came before the data. */
  eventId: string | undefined;
}

/** What to do about an oversized event: emit a message in its place, and/or end the stream. */
export interface OversizedSseVerdict {
  /** Written as `data: <JSON>` (with the dropped event's `id`) where the event would have been. */
  replacement?: unknown;
  /** Nothing more is wanted from this stream: the caller cancels it. */
  stop?: boolean;
}

/**
 * Frames a `text/event-stream` byte stream into events and passes each one on whole, unchanged, once
 * its blank line arrives. An event whose data exceeds `maxBytes` is never buffered past the cap: its
 * bytes are counted and dropped up to its blank line, and `oversized` (called when the cap is crossed
 * and, unless it answered then, again when the event ends) may put one small event in its place. The
 * events after it flow on. The data size is what the SSE parser would hand over: the `data:` values
 * joined by newlines, so the cap means the same as stdio's `maxMessageBytes`.
 *
 * @example
 * const cap = new SseEventCap(8 << 20, (e) => (e.ended ? { replacement: errorFor(e) } : undefined));
 * for (const piece of cap.push(chunk)) controller.enqueue(piece);
 */
export class SseEventCap {
  /** Set once a verdict asked to stop. */
  stopped = false;
  private parts: Uint8Array[] = [];
  private raw = 0;
  /** Data bytes of the event's completed lines (joins included). */
  private data = 0;
  private dataLines = 0;
  private lineLen = 0;
  private readonly lineHead = new Uint8Array(6);
  private pendingCR = false;
  private dropping: { head: Uint8Array; tail: Uint8Array; answered: boolean } | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly oversized: (event: OversizedSseEvent) => OversizedSseVerdict | undefined,
  ) {}

  /** Takes the next chunk; returns the bytes to pass on (complete events and replacements, in order). */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    let segment = 0;
    // The LF of a CRLF split across chunks belongs to the line break already counted.
    if (this.pendingCR && chunk[0] === LF) i = 1;
    this.pendingCR = false;
    while (i < chunk.length && !this.stopped) {
      const brk = nextBreak(chunk, i);
      if (brk === -1) {
        this.lineBytes(chunk, i, chunk.length);
        break;
      }
      this.lineBytes(chunk, i, brk);
      let end = brk + 1;
      if (chunk[brk] === CR) {
        if (end === chunk.length) this.pendingCR = true;
        else if (chunk[end] === LF) end++;
      }
      const blank = this.lineLen === 0;
      this.endLine();
      if (blank) {
        this.take(chunk.subarray(segment, end), out);
        this.endEvent(out, true);
        segment = end;
      }
      i = end;
    }
    if (segment < chunk.length && !this.stopped) this.take(chunk.subarray(segment), out);
    return out;
  }

  /** The stream ended: returns what is left to pass on (a partial event, or a replacement for a cut-off one). */
  end(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!this.stopped) this.endEvent(out, false);
    return out;
  }

  /** Data bytes of the current event, counting its current line once its field name is known. */
  private dataBytes(): number {
    const value = this.lineLen >= 5 ? dataValueLength(this.lineHead, this.lineLen) : undefined;
    return this.data + (value === undefined ? 0 : value + (this.dataLines > 0 ? 1 : 0));
  }

  private lineBytes(chunk: Uint8Array, from: number, to: number): void {
    for (let k = from; k < to && this.lineLen + (k - from) < this.lineHead.length; k++) {
      this.lineHead[this.lineLen + (k - from)] = chunk[k] ?? 0;
    }
    this.lineLen += to - from;
  }

  private endLine(): void {
    const value = dataValueLength(this.lineHead, this.lineLen);
    if (value !== undefined) {
      this.data += value + (this.dataLines > 0 ? 1 : 0);
      this.dataLines++;
    }
    this.lineLen = 0;
  }

  private take(piece: Uint8Array, out: Uint8Array[]): void {
    if (piece.length === 0) return;
    this.raw += piece.length;
    const d = this.dropping;
    if (d) {
      d.tail = lastBytes([d.tail, piece], EDGE_BYTES);
      return;
    }
    this.parts.push(piece);
    if (this.dataBytes() <= this.maxBytes && this.raw <= this.maxBytes + FRAMING_ALLOWANCE) return;
    this.dropping = {
      head: firstBytes(this.parts, EDGE_BYTES),
      tail: lastBytes([piece], EDGE_BYTES),
      answered: false,
    };
    this.parts = [];
    this.judge(out, false);
  }

  private endEvent(out: Uint8Array[], complete: boolean): void {
    if (this.dropping) {
      if (!this.dropping.answered) this.judge(out, true);
    } else if (complete || this.parts.length > 0) {
      out.push(...this.parts);
    }
    this.parts = [];
    this.raw = 0;
    this.data = 0;
    this.dataLines = 0;
    this.dropping = undefined;
  }

  private judge(out: Uint8Array[], ended: boolean): void {
    const d = this.dropping;
    if (!d) return;
    const head = fields(decode(d.head), false);
    const verdict = this.oversized({
      head: head.data,
      tail: ended ? fields(decode(d.tail), true).data : '',
      bytes: this.dataBytes(),
      ended,
      eventId: head.id,
    });
    if (verdict?.replacement !== undefined) {
      d.answered = true;
      const id = head.id === undefined ? '' : `id: ${head.id}\n`;
      out.push(new TextEncoder().encode(`${id}data: ${JSON.stringify(verdict.replacement)}\n\n`));
    }
    if (verdict?.stop) this.stopped = true;
  }
}

function nextBreak(chunk: Uint8Array, from: number): number {
  const lf = chunk.indexOf(LF, from);
  const cr = chunk.indexOf(CR, from);
  if (cr === -1) return lf;
  return lf === -1 ? cr : Math.min(lf, cr);
}

/** Length of a line's data value if the line is a `data` field (`data`, `data:x`, `data: x`), else undefined. */
function dataValueLength(head: Uint8Array, lineLen: number): number | undefined {
  if (lineLen < 4 || DATA.some((b, k) => head[k] !== b)) return undefined;
  if (lineLen === 4) return 0;
  if (head[4] !== COLON) return undefined;
  return lineLen - 5 - (lineLen > 5 && head[5] === SPACE ? 1 : 0);
}

/**
 * The `data` values (joined by newlines) and the `id` of an event fragment. A tail fragment starts
 * mid-line: its first line is taken as the end of a data value; a head fragment's last line may be cut.
 */
function fields(text: string, startsMidLine: boolean): { data: string; id: string | undefined } {
  const lines = text.split(/\r\n|\r|\n/);
  const data: string[] = [];
  let id: string | undefined;
  lines.forEach((line, k) => {
    if (k === 0 && startsMidLine && !/^(data|id|event|retry):/.test(line)) {
      data.push(line);
      return;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') data.push(value);
    // An id on the last line of a head may be cut short; only a terminated one counts.
    else if (name === 'id' && (startsMidLine || k < lines.length - 1)) id = value;
  });
  return { data: data.join('\n'), id };
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function firstBytes(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(
    Math.min(
      n,
      parts.reduce((sum, p) => sum + p.length, 0),
    ),
  );
  let size = 0;
  for (const p of parts) {
    if (size >= out.length) break;
    const piece = p.subarray(0, out.length - size);
    out.set(piece, size);
    size += piece.length;
  }
  return out;
}

/** A copy (never a view that would pin a large chunk) of the last `n` bytes of the parts. */
function lastBytes(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(
    Math.min(
      n,
      parts.reduce((sum, p) => sum + p.length, 0),
    ),
  );
  let end = out.length;
  for (let k = parts.length - 1; k >= 0 && end > 0; k--) {
    const p = parts[k] ?? new Uint8Array(0);
    const piece = p.subarray(Math.max(0, p.length - end));
    out.set(piece, end - piece.length);
    end -= piece.length;
  }
  return out;
}
