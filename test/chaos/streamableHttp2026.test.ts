import { chaosMatrix } from './matrix.js';

// Every fault against SDK v2 servers that serve only 2026-07-28 (the client negotiates the era).
chaosMatrix('streamableHttp', '2026');
