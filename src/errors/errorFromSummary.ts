import { AuthError } from './AuthError.js';
import type { AzcoreError, ErrorKind } from './AzcoreError.js';
import { CancelledError } from './CancelledError.js';
import { CircuitOpenError } from './CircuitOpenError.js';
import { ConfigurationError } from './ConfigurationError.js';
import { ConnectionError } from './ConnectionError.js';
import { InputError } from './InputError.js';
import { ProtocolError } from './ProtocolError.js';
import { ResourceError } from './ResourceError.js';
import { TimeoutError } from './TimeoutError.js';
import { ToolError } from './ToolError.js';

/** The JSON-safe facts a summary keeps (see `summarizeError`). */
export interface ErrorFacts {
  kind: ErrorKind;
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Rebuilds a typed error from its JSON summary, e.g. one stored in a machine's context or a
 * persisted snapshot. The message is kept as is (it already names the server).
 */
export function errorFromSummary(facts: ErrorFacts, server?: string): AzcoreError {
  const details = { code: facts.code, retryable: facts.retryable };
  const message = server ? facts.message.replace(`[${server}] `, '') : facts.message;
  const withServer = { ...details, server };
  switch (facts.kind) {
    case 'timeout':
      return new TimeoutError(message, withServer);
    case 'auth':
      return new AuthError(message, withServer);
    case 'protocol':
      return new ProtocolError(message, withServer);
    case 'tool':
      return new ToolError(message, withServer);
    case 'input':
      return new InputError(message, withServer);
    case 'resource':
      return new ResourceError(message, withServer);
    case 'cancelled':
      return new CancelledError(message, withServer);
    case 'configuration':
      return new ConfigurationError(message, withServer);
    case 'circuitOpen':
      return new CircuitOpenError(message, { ...withServer, breakerState: 'open' });
    default:
      return new ConnectionError(message, withServer);
  }
}
