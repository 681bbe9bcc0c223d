/**
 * The fields of an elicitation form (`requestedSchema`: a flat object of primitive properties, as
 * MCP allows) as the terminal asks them: one prompt per field, the answer parsed and checked
 * against the field's schema.
 */

/** What MCP lets a form field be: string (with format, length), number/integer, boolean, enums. */
export interface FieldSchema {
  type?: string | undefined;
  title?: string | undefined;
  description?: string | undefined;
  default?: unknown;
  enum?: unknown[] | undefined;
  enumNames?: string[] | undefined;
  oneOf?: { const: unknown; title?: string | undefined }[] | undefined;
  anyOf?: { const: unknown; title?: string | undefined }[] | undefined;
  items?: FieldSchema | undefined;
  format?: string | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
}

/** One field of a form. */
export interface FormField {
  key: string;
  required: boolean;
  schema: FieldSchema;
}

export type ParsedAnswer = { ok: true; value: unknown } | { ok: false; problem: string };

interface Choice {
  value: unknown;
  title: string;
}

/** The fields of a requested schema, in the order the server wrote them. */
export function formFields(requestedSchema: unknown): FormField[] {
  const schema = (requestedSchema ?? {}) as { properties?: Record<string, FieldSchema>; required?: string[] };
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, field]) => ({
    key,
    required: required.has(key),
    schema: field ?? {},
  }));
}

/** `  name – Your full name (string, required, default "Ada"): ` */
export function fieldPrompt(field: FormField): string {
  const { schema } = field;
  const label = printable(schema.title ?? field.key);
  const description = schema.description ? ` – ${printable(schema.description)}` : '';
  const facts = [describeType(schema)];
  if (field.required) facts.push('required');
  if (schema.default !== undefined) facts.push(`default ${printable(JSON.stringify(schema.default))}`);
  return `  ${label}${description} (${facts.join(', ')}): `;
}

/** Parses one non-empty answer against the field's schema. */
export function parseAnswer(field: FormField, raw: string): ParsedAnswer {
  const { schema } = field;
  const text = raw.trim();
  const choices = choicesOf(schema);
  if (choices) return pick(choices, text);
  if (schema.type === 'array') {
    const itemChoices = choicesOf(schema.items ?? {});
    const parts = text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const values: unknown[] = [];
    for (const part of parts) {
      const one = itemChoices ? pick(itemChoices, part) : { ok: true as const, value: part };
      if (!one.ok) return one;
      values.push(one.value);
    }
    if (schema.minItems !== undefined && values.length < schema.minItems)
      return { ok: false, problem: `choose at least ${schema.minItems}` };
    if (schema.maxItems !== undefined && values.length > schema.maxItems)
      return { ok: false, problem: `choose at most ${schema.maxItems}` };
    return { ok: true, value: values };
  }
  if (schema.type === 'boolean') {
    if (/^(y|yes|true)$/i.test(text)) return { ok: true, value: true };
    if (/^(n|no|false)$/i.test(text)) return { ok: true, value: false };
    return { ok: false, problem: 'answer y or n' };
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    const n = Number(text);
    if (!Number.isFinite(n)) return { ok: false, problem: 'enter a number' };
    if (schema.type === 'integer' && !Number.isInteger(n))
      return { ok: false, problem: 'enter a whole number' };
    if (schema.minimum !== undefined && n < schema.minimum)
      return { ok: false, problem: `enter at least ${schema.minimum}` };
    if (schema.maximum !== undefined && n > schema.maximum)
      return { ok: false, problem: `enter at most ${schema.maximum}` };
    return { ok: true, value: n };
  }
  if (schema.minLength !== undefined && text.length < schema.minLength)
    return { ok: false, problem: `enter at least ${schema.minLength} characters` };
  if (schema.maxLength !== undefined && text.length > schema.maxLength)
    return { ok: false, problem: `enter at most ${schema.maxLength} characters` };
  return { ok: true, value: text };
}

/** Server text made safe to print: control characters (escape sequences included) become spaces. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function describeType(schema: FieldSchema): string {
  const choices = choicesOf(schema);
  if (choices) return `one of: ${choices.map(describeChoice).join(', ')}`;
  if (schema.type === 'array') {
    const items = choicesOf(schema.items ?? {});
    return items
      ? `any of: ${items.map(describeChoice).join(', ')}, comma-separated`
      : 'comma-separated list';
  }
  if (schema.type === 'boolean') return 'y/n';
  if (schema.type === 'string' && schema.format) return printable(schema.format);
  return printable(schema.type ?? 'string');
}

function describeChoice(choice: Choice): string {
  const value = printable(String(choice.value));
  return choice.title === value ? value : `${value} (${choice.title})`;
}

function choicesOf(schema: FieldSchema): Choice[] | undefined {
  const titled = schema.oneOf ?? schema.anyOf;
  if (titled?.length)
    return titled.map((c) => ({ value: c.const, title: printable(c.title ?? String(c.const)) }));
  if (schema.enum?.length) {
    return schema.enum.map((value, i) => ({
      value,
      title: printable(schema.enumNames?.[i] ?? String(value)),
    }));
  }
  return undefined;
}

function pick(choices: Choice[], text: string): ParsedAnswer {
  const wanted = text.toLowerCase();
  const found = choices.find(
    (c) => String(c.value).toLowerCase() === wanted || c.title.toLowerCase() === wanted,
  );
  return found
    ? { ok: true, value: found.value }
    : { ok: false, problem: `choose one of: ${choices.map((c) => printable(String(c.value))).join(', ')}` };
}
