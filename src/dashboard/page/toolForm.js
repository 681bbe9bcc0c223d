// A form generated from a tool's JSON Schema (`inputSchema`): one field per top-level property
// (select for an enum, checkbox for a boolean, number, text), JSON text for anything nested, and
// one JSON box for the whole object when the schema names no properties.

function typeOf(schema) {
  const type = Array.isArray(schema?.type) ? schema.type.find((t) => t !== 'null') : schema?.type;
  if (Array.isArray(schema?.enum)) return 'enum';
  return ['string', 'number', 'integer', 'boolean'].includes(type) ? type : 'json';
}

function inputFor(name, schema, required) {
  const kind = typeOf(schema);
  let input;
  if (kind === 'enum') {
    input = document.createElement('select');
    const values = required ? schema.enum : ['', ...schema.enum];
    input.append(
      ...values.map((v) =>
        Object.assign(document.createElement('option'), { value: JSON.stringify(v), textContent: String(v) }),
      ),
    );
  } else if (kind === 'boolean') {
    input = Object.assign(document.createElement('input'), {
      type: 'checkbox',
      checked: schema.default === true,
    });
  } else if (kind === 'number' || kind === 'integer') {
    input = Object.assign(document.createElement('input'), {
      type: 'number',
      step: kind === 'integer' ? '1' : 'any',
    });
    if (typeof schema.default === 'number') input.value = String(schema.default);
  } else if (kind === 'string') {
    input = Object.assign(document.createElement('input'), { type: 'text' });
    if (typeof schema.default === 'string') input.value = schema.default;
  } else {
    input = Object.assign(document.createElement('textarea'), { rows: 2, placeholder: 'JSON' });
    if (schema?.default !== undefined) input.value = JSON.stringify(schema.default);
  }
  input.name = name;
  input.dataset.kind = kind;
  input.required = required && kind !== 'boolean';
  return input;
}

/** The fields of a form for `schema` (an object schema). */
export function formFor(schema) {
  const properties = schema && typeof schema.properties === 'object' ? Object.entries(schema.properties) : [];
  if (properties.length === 0) {
    const label = document.createElement('label');
    label.append('arguments (JSON object)', inputFor('', {}, false));
    return [label];
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return properties.map(([name, property]) => {
    const label = document.createElement('label');
    label.title = property?.description ?? '';
    const caption = document.createElement('span');
    caption.textContent = `${name}${required.has(name) ? ' *' : ''}`;
    label.append(caption, inputFor(name, property, required.has(name)));
    return label;
  });
}

/** The arguments the form says; throws an Error with a readable message on bad JSON. */
export function readForm(fields) {
  const args = {};
  for (const input of fields.querySelectorAll('[data-kind]')) {
    const { kind } = input.dataset;
    const name = input.name;
    if (kind === 'boolean') {
      args[name] = input.checked;
      continue;
    }
    if (input.value === '') continue;
    if (kind === 'enum') args[name] = JSON.parse(input.value);
    else if (kind === 'number' || kind === 'integer') args[name] = Number(input.value);
    else if (kind === 'string') args[name] = input.value;
    else {
      let value;
      try {
        value = JSON.parse(input.value);
      } catch {
        throw new Error(`${name || 'arguments'}: not valid JSON`);
      }
      if (name === '') {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new Error('arguments: a JSON object is expected');
        Object.assign(args, value);
      } else args[name] = value;
    }
  }
  return args;
}
