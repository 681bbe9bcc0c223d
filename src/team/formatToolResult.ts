import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import { MAX_TOOL_RESULT_CHARS } from './toolLimits.js';

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
