// The runtime's timing and size defaults in one place (issue 12: "defaults in one module"). The
// connection machine's own (restart budget, cooldown, missed pings, reconnect backoff) stay beside
// the machine as `connectionDefaults` (machines/ import nothing of ours); the runtime reads those
// from there.

/** Connect budget when a config does not set `connectTimeoutMs`; also a team's budget for one tools/list. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Per-request budget when a config does not set `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Largest message accepted from a server (any transport) when its config does not set `maxMessageBytes` (8 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Keepalive period over Streamable HTTP and SSE (stdio: 0, a process exit is seen directly). */
export const DEFAULT_HTTP_PING_INTERVAL_MS = 15_000;
/** Budget of one keepalive ping. */
export const DEFAULT_PING_TIMEOUT_MS = 5_000;
/** Budget of one team turn when the builder sets none (`withTimeouts({ turnMs })`). */
export const DEFAULT_TURN_TIMEOUT_MS = 120_000;
