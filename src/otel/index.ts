// azcore/otel: OpenTelemetry traces and metrics by the MCP semantic conventions, derived from the
// event stream. The only place that loads @opentelemetry/api (an optional peer dependency).
export {
  type InstrumentedSource,
  instrumentOpenTelemetry,
  type OpenTelemetryInstrumentation,
  type OpenTelemetryOptions,
} from './instrumentOpenTelemetry.js';
export { openTelemetryRequestMeta } from './requestMeta.js';
