import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';

/**
 * azcore has no elicitation API yet: its SDK Client declares no client capabilities. This transport
 * wrapper lets the conformance client answer `elicitation/create` anyway, below the runtime: it
 * declares the `elicitation` capability in `initialize` and accepts every elicitation with the
 * defaults of the requested schema (SEP-1034). It is a stand-in for a real elicitation handler
 * option, kept in the conformance client so the scenario measures what the transport hook allows.
 */
export class ElicitationDefaultsTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  /** Elicitations answered so far. */
  answered = 0;

  constructor(private readonly inner: Transport) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.#receive(message, extra);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message && message.method === 'initialize' && 'id' in message) {
      const params = (message.params ?? {}) as { capabilities?: Record<string, unknown> };
      const capabilities = { ...params.capabilities, elicitation: {} };
      return this.inner.send({ ...message, params: { ...params, capabilities } }, options);
    }
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  #receive(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if ('method' in message && message.method === 'elicitation/create' && 'id' in message) {
      const schema = (message.params as { requestedSchema?: unknown } | undefined)?.requestedSchema;
      this.answered++;
      void this.inner
        .send(
          { jsonrpc: '2.0', id: message.id, result: { action: 'accept', content: schemaDefaults(schema) } },
          { relatedRequestId: message.id },
        )
        .catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
      return;
    }
    this.onmessage?.(message, extra);
  }
}

/** The `default` of every top-level property of an elicitation's flat object schema. */
export function schemaDefaults(schema: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { default?: unknown }> } | undefined)
    ?.properties;
  const content: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties ?? {})) {
    if (property.default !== undefined) content[name] = property.default;
  }
  return content;
}
