import type { ContentBlock as LangChainContentBlock } from '@langchain/core/messages';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import { MAX_TOOL_RESULT_CHARS } from './toolLimits.js';

/**
 * Largest image or audio block (decoded bytes) a tool result passes to the model as a content
 * block; a larger one becomes a note. (A bound like those of toolLimits.ts.)
 */
export const MAX_TOOL_RESULT_MEDIA_BYTES = 5 * 1024 * 1024;

/** Image and audio bytes of one tool result together; the blocks past it become notes. */
export const MAX_TOOL_RESULT_MEDIA_BYTES_TOTAL = 10 * 1024 * 1024;

/** A media type longer than this, or not `image/x` / `audio/x`, is not passed on. */
const MAX_MEDIA_TYPE_CHARS = 127;

/** What a tool result gives the model: plain text, or LangChain content blocks when it has images or audio. */
export type ToolResultContent = string | LangChainContentBlock[];

/** Options of {@link toolResultContent}. */
export interface ToolResultContentOptions extends FormatToolResultOptions {
  /** Default {@link MAX_TOOL_RESULT_MEDIA_BYTES}. */
  maxMediaBytes?: number | undefined;
  /** Default {@link MAX_TOOL_RESULT_MEDIA_BYTES_TOTAL}. */
  maxMediaBytesTotal?: number | undefined;
}

/** Default cap of the text a tool result gives the model, in characters ({@link MAX_TOOL_RESULT_CHARS}). */
export const DEFAULT_MAX_RESULT_CHARS = MAX_TOOL_RESULT_CHARS;

/** Options of {@link formatToolResult}. */
export interface FormatToolResultOptions {
  /** Longest text returned, truncation note included. Default {@link DEFAULT_MAX_RESULT_CHARS}. */
  maxChars?: number | undefined;
}

/**
 * Turns an MCP tool result into text for the model: text parts joined by newlines, binary parts
 * (`[image: image/png, 1024 bytes]`) and resources summarized, embedded text resources inlined,
 * `structuredContent` as JSON when there is no text part. The text is capped at `maxChars`, with
 * a note saying how much was cut. `isError` is not looked at: the caller words failures.
 *
 * @example
 * formatToolResult({ content: [{ type: 'text', text: '42' }] });                 // '42'
 * formatToolResult({ content: [], structuredContent: { sum: 42 } });             // '{"sum":42}'
 * formatToolResult({ content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }] }); // '[image: image/png, 3 bytes]'
 */
export function formatToolResult(result: CallToolResult, options: FormatToolResultOptions = {}): string {
  const content: readonly ContentBlock[] = Array.isArray(result.content) ? result.content : [];
  const parts = content.map(describeBlock);
  const hasText = content.some((block) => block.type === 'text');
  if (!hasText && result.structuredContent !== undefined) parts.push(toJson(result.structuredContent));
  // Servers on protocol 2024-10-07 answer `{ toolResult }` instead of content.
  if (parts.length === 0 && 'toolResult' in result) parts.push(toJson(result.toolResult));
  const text = parts.length > 0 ? parts.join('\n') : '(the tool returned no content)';
  return capText(text, options.maxChars ?? DEFAULT_MAX_RESULT_CHARS);
}

/**
 * An MCP tool result as a ToolMessage's content: text when it has no image or audio that can pass
 * (exactly {@link formatToolResult}); otherwise LangChain standard content blocks in the result's
 * order, `{ type: 'text', text }` and `{ type: 'image' | 'audio', data, mimeType }` (base64). The
 * text blocks share `maxChars`; an image or audio block over `maxMediaBytes`, past
 * `maxMediaBytesTotal`, or with a malformed media type becomes a text note saying why.
 *
 * @example
 * toolResultContent({ content: [{ type: 'text', text: 'a chart' }, { type: 'image', data: 'iVBO...', mimeType: 'image/png' }] });
 * // [{ type: 'text', text: 'a chart' }, { type: 'image', data: 'iVBO...', mimeType: 'image/png' }]
 */
export function toolResultContent(
  result: CallToolResult,
  options: ToolResultContentOptions = {},
): ToolResultContent {
  const content: readonly ContentBlock[] = Array.isArray(result.content) ? result.content : [];
  const maxBytes = options.maxMediaBytes ?? MAX_TOOL_RESULT_MEDIA_BYTES;
  const maxTotal = options.maxMediaBytesTotal ?? MAX_TOOL_RESULT_MEDIA_BYTES_TOTAL;
  const parts: (string | LangChainContentBlock)[] = [];
  let spent = 0;
  let media = 0;
  let refused = 0;
  for (const block of content) {
    if (block.type !== 'image' && block.type !== 'audio') {
      parts.push(describeBlock(block));
      continue;
    }
    const bytes = typeof block.data === 'string' ? base64Bytes(block.data) : 0;
    const refusal =
      typeof block.data !== 'string' || !isMediaType(block.mimeType, block.type)
        ? 'malformed data or media type'
        : bytes > maxBytes
          ? `over the ${maxBytes}-byte bound`
          : spent + bytes > maxTotal
            ? `the result's media passed the ${maxTotal}-byte bound`
            : undefined;
    if (refusal) {
      refused++;
      parts.push(
        `[${block.type}: ${String(block.mimeType).slice(0, MAX_MEDIA_TYPE_CHARS)}, ${bytes} bytes, not shown: ${refusal}]`,
      );
      continue;
    }
    spent += bytes;
    media++;
    parts.push({ type: block.type, data: block.data, mimeType: block.mimeType });
  }
  if (media === 0 && refused === 0) return formatToolResult(result, options);
  const hasText = content.some((block) => block.type === 'text');
  if (!hasText && result.structuredContent !== undefined) parts.push(toJson(result.structuredContent));
  // Every image was refused: text, with the notes saying why.
  if (media === 0) return capText(parts.join('\n'), options.maxChars ?? DEFAULT_MAX_RESULT_CHARS);
  return textBlocksWithin(mergeText(parts), options.maxChars ?? DEFAULT_MAX_RESULT_CHARS);
}

/** Adjacent text parts joined by newlines, as one text block. */
function mergeText(parts: readonly (string | LangChainContentBlock)[]): LangChainContentBlock[] {
  const out: LangChainContentBlock[] = [];
  let text: string[] = [];
  const flush = () => {
    if (text.length > 0) out.push({ type: 'text', text: text.join('\n') });
    text = [];
  };
  for (const part of parts) {
    if (typeof part === 'string') text.push(part);
    else {
      flush();
      out.push(part);
    }
  }
  flush();
  return out;
}

/** Text blocks cut so that together they hold at most `maxChars` characters (notes included). */
function textBlocksWithin(blocks: LangChainContentBlock[], maxChars: number): LangChainContentBlock[] {
  let left = maxChars;
  const out: LangChainContentBlock[] = [];
  for (const block of blocks) {
    if (block.type !== 'text') {
      out.push(block);
      continue;
    }
    const text = String((block as unknown as { text: unknown }).text);
    if (left <= 0) continue;
    const kept = capText(text, left);
    left -= kept.length;
    out.push({ type: 'text', text: kept });
  }
  return out;
}

function isMediaType(value: unknown, kind: 'image' | 'audio'): value is string {
  return (
    typeof value === 'string' &&
    value.length <= MAX_MEDIA_TYPE_CHARS &&
    value.startsWith(`${kind}/`) &&
    /^[a-z]+\/[\w.+-]+$/i.test(value)
  );
}

/**
 * Cuts `text` to at most `maxChars` characters, note included, never inside a surrogate pair.
 *
 * @example
 * capText('x'.repeat(100), 60); // 18 x, then '\n[truncated: showing 18 of 100 characters]'
 */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const noteFor = (kept: number) => `\n[truncated: showing ${kept} of ${text.length} characters]`;
  let kept = Math.max(0, maxChars - noteFor(maxChars).length);
  const code = text.charCodeAt(kept - 1);
  if (code >= 0xd800 && code <= 0xdbff) kept -= 1;
  return `${text.slice(0, kept)}${noteFor(kept)}`;
}

function describeBlock(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type}: ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case 'resource_link': {
      const facts = [block.mimeType, block.size === undefined ? undefined : `${block.size} bytes`];
      const about = block.description ? `: ${block.description}` : '';
      return `[resource link: ${block.title ?? block.name} <${block.uri}>${factList(facts)}${about}]`;
    }
    case 'resource': {
      const resource = block.resource;
      if ('text' in resource && typeof resource.text === 'string') {
        return `[resource: ${resource.uri}${factList([resource.mimeType])}]\n${resource.text}`;
      }
      const bytes = 'blob' in resource && typeof resource.blob === 'string' ? base64Bytes(resource.blob) : 0;
      return `[resource: ${resource.uri}${factList([resource.mimeType, `${bytes} bytes`])}]`;
    }
    default:
      return `[${String((block as { type?: unknown }).type)} content]`;
  }
}

function factList(facts: readonly (string | undefined)[]): string {
  const present = facts.filter((fact): fact is string => Boolean(fact));
  return present.length > 0 ? ` (${present.join(', ')})` : '';
}

/** Decoded size of base64 data, without decoding it. */
function base64Bytes(data: string): number {
  const length = data.replace(/\s/g, '').length;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((length * 3) / 4) - padding);
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
