import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/client';
import type { ElicitationHandler } from '../../src/protocol/serverRequests.js';

type FormContent = NonNullable<ElicitResult['content']>;

/**
 * The conformance client's elicitation policy (not the runtime's: azcore declines elicitations
 * unless its user passes a handler): accept every form with the defaults of the requested schema,
 * as SEP-1034 expects of a client whose user submits the form untouched. A URL elicitation has
 * nobody to open it, so it is declined.
 */
export const acceptWithDefaults: ElicitationHandler = async (request) =>
  request.mode === 'url'
    ? { action: 'decline' }
    : { action: 'accept', content: schemaDefaults(request.requestedSchema) };

/** The `default` of every top-level property of an elicitation's flat object schema. */
export function schemaDefaults(schema: ElicitRequestFormParams['requestedSchema'] | undefined): FormContent {
  const content: FormContent = {};
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    if ('default' in property && property.default !== undefined) content[name] = property.default;
  }
  return content;
}
