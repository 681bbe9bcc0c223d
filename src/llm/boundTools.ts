import type { BindToolsInput } from '@langchain/core/language_models/chat_models';
import { toJsonSchema } from '@langchain/core/utils/json_schema';

/** The subset of JSON Schema the offline models read. Unknown keywords are kept as they are. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  format?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  [keyword: string]: unknown;
}

/**
 * A tool as an offline model sees it after `bindTools`: name, description and JSON schema of its
 * arguments, whatever shape it was given in (LangChain tool, OpenAI tool, `{ name, schema }`, MCP tool).
 */
export interface BoundToolInfo {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
}

type SchemaInput = Parameters<typeof toJsonSchema>[0];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaOf(raw: unknown, toolName: string): JsonSchema {
  if (raw === undefined || raw === null) return { type: 'object', properties: {} };
  // toJsonSchema accepts zod v3/v4, Standard JSON Schema and plain JSON Schema, and caches by reference.
  const converted: unknown = toJsonSchema(raw as SchemaInput);
  if (!isRecord(converted)) {
    throw new TypeError(`bindTools: the schema of tool "${toolName}" is not a JSON schema object.`);
  }
  return converted as JsonSchema;
}

function info(name: string, description: unknown, schema: unknown): BoundToolInfo {
  return {
    name,
    description: typeof description === 'string' ? description : '',
    schema: schemaOf(schema, name),
  };
}

/**
 * Normalizes one tool given to `bindTools`. Accepts LangChain `StructuredTool`/`tool()`/`RunnableToolLike`,
 * `{ name, description, schema }`, OpenAI `{ type: 'function', function: { name, parameters } }`,
 * Anthropic-style `input_schema` and MCP-style `inputSchema`.
 *
 * @example
 * toBoundTool({ name: 'fs__read_file', description: 'Read a file', schema: { type: 'object' } });
 */
export function toBoundTool(tool: BindToolsInput | BoundToolInfo, index = 0): BoundToolInfo {
  const fields: unknown = tool;
  if (!isRecord(fields)) throw new TypeError(`bindTools: tool #${index} is not an object.`);
  const fn = fields.function;
  if (fields.type === 'function' && isRecord(fn) && typeof fn.name === 'string') {
    return info(fn.name, fn.description, fn.parameters);
  }
  if (typeof fields.name === 'string' && fields.name.length > 0) {
    const schema = fields.schema ?? fields.parameters ?? fields.input_schema ?? fields.inputSchema;
    return info(fields.name, fields.description, schema);
  }
  throw new TypeError(
    `bindTools: tool #${index} has no name. Pass a LangChain tool, { name, description, schema } or an OpenAI tool definition.`,
  );
}

/** Normalizes a list of tools; see {@link toBoundTool}. */
export function toBoundTools(tools: readonly (BindToolsInput | BoundToolInfo)[]): BoundToolInfo[] {
  return tools.map((tool, index) => toBoundTool(tool, index));
}
