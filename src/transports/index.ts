export { childEnvironment } from './childEnvironment.js';
export { type CreateTransportOptions, createTransport, type TransportHandle } from './createTransport.js';
export { GuardedSseTransport } from './GuardedSseTransport.js';
export { LineSplitter, type LineSplitterHandlers, type OversizedLine } from './LineSplitter.js';
export { type OversizedMessageShape, oversizedMessageShape } from './oversizedMessage.js';
export { StdioMessageReader, type StdioMessageReaderOptions } from './StdioMessageReader.js';
export {
  type ExitInfo,
  StdioProcessTransport,
  type StdioProcessTransportOptions,
} from './StdioProcessTransport.js';
export { createStreamableHttpTransport, type HttpTransportOptions } from './streamableHttpTransport.js';
