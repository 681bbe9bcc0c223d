#!/usr/bin/env node
// A hand-rolled stdio JSON-RPC responder for transport tests: it writes exactly the bytes a test
// needs (garbage, oversized lines with the id first or last, stderr without newlines), which the
// SDK server would never do. Flags: --protocol=V (answer initialize with V), --ignore-sigterm,
// --grandchild (start `sleep 1000` in our process group, holding our stdout).
import { spawn } from 'node:child_process';

const flags = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
if (flags.has('ignore-sigterm')) process.on('SIGTERM', () => {});
let grandchild;
if (flags.has('grandchild'))
  grandchild = spawn('sleep', ['1000'], { stdio: ['ignore', 'inherit', 'ignore'] });

const write = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const reply = (id, result) => write({ jsonrpc: '2.0', id, result });
const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });

/** Writes `{"jsonrpc":"2.0","id":ID,"result":{...bytes...}}` (or with the id last) in several chunks. */
function writeHuge(id, bytes, idLast) {
  const filler = 'x'.repeat(bytes);
  const line = idLast
    ? `{"result":{"content":[{"type":"text","text":"${filler}"}]},"jsonrpc":"2.0","id":${JSON.stringify(id)}}\n`
    : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"${filler}"}]}}\n`;
  for (let i = 0; i < line.length; i += 4096) process.stdout.write(line.slice(i, i + 4096));
}

const tools = {
  env: (id) => reply(id, text(JSON.stringify(process.env))),
  stderr: (id) => {
    process.stderr.write('first line\nsecond ');
    process.stderr.write('line\r\nthird line\n');
    reply(id, text('written'));
  },
  garbage: (id) => {
    process.stdout.write('this is not json\n');
    process.stdout.write('{"hello":"json but not json-rpc"}\n');
    reply(id, text('after garbage'));
  },
  huge: (id, args) => writeHuge(id, args.bytes, false),
  hugeIdLast: (id, args) => writeHuge(id, args.bytes, true),
  hugeNotification: (id, args) => {
    write({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'y'.repeat(args.bytes) },
    });
    reply(id, text('after big notification'));
  },
  grandchild: (id) => reply(id, text(grandchild?.pid ?? 'none')),
  hang: () => {},
};

let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line.trim()) handle(JSON.parse(line));
  }
});

function handle(msg) {
  if (msg.id === undefined) return; // notifications
  switch (msg.method) {
    case 'initialize':
      return reply(msg.id, {
        protocolVersion: flags.get('protocol') ?? msg.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'raw-responder', version: '1.0.0' },
      });
    case 'ping':
      return reply(msg.id, {});
    case 'tools/list':
      return reply(msg.id, {
        tools: Object.keys(tools).map((name) => ({ name, inputSchema: { type: 'object' } })),
      });
    case 'tools/call': {
      const tool = tools[msg.params.name];
      if (tool) return tool(msg.id, msg.params.arguments ?? {});
      return write({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'no such tool' } });
    }
    case 'azcore/error': // answers with the JSON-RPC error given in params
      return write({
        jsonrpc: '2.0',
        id: msg.id,
        error: { code: msg.params.code, message: msg.params.message },
      });
    default:
      return write({
        jsonrpc: '2.0',
        id: msg.id,
        error: { code: -32601, message: `Method not found: ${msg.method}` },
      });
  }
}
