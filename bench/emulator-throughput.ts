/**
 * Emulator throughput: small generateContent requests per second on loopback with zero latency,
 * so a bench can show the emulator is never its bottleneck (goal >= 2,000/s). The load comes from
 * a separate process so client and server do not share one event loop.
 */
import { spawn } from 'node:child_process';
import { startEmulator } from '../src/emulator/server.ts';

// node:http with a keep-alive agent: much lighter per request than fetch, so the load generator
// does not become the thing being measured on a 2-core machine.
const LOAD_SCRIPT = `
import http from 'node:http';
const [url, seconds, concurrency] = process.argv.slice(1);
const target = new URL(url + '/v1beta/models/gemini-2.5-flash-lite:generateContent');
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Classify: INVOICE No. A-1, total 5.00 EUR' }] }] });
const until = Date.now() + Number(seconds) * 1000;
let ok = 0, failed = 0;
const once = () => new Promise((resolve) => {
  const request = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-goog-api-key': 'bench' } }, (response) => {
    response.resume();
    response.on('end', () => { if (response.statusCode === 200) ok++; else failed++; resolve(); });
  });
  request.on('error', () => { failed++; resolve(); });
  request.end(body);
});
async function lane() { while (Date.now() < until) await once(); }
await Promise.all(Array.from({ length: Number(concurrency) }, lane));
console.log(JSON.stringify({ ok, failed }));
`;

export interface ThroughputResult {
  readonly requestsPerSecond: number;
  readonly failed: number;
  readonly serverCount: number;
}

export async function emulatorThroughput(seconds = 5, concurrency = 64): Promise<ThroughputResult> {
  const emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', LOAD_SCRIPT, emulator.url, String(seconds), String(concurrency)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    const { ok, failed } = JSON.parse(output) as { ok: number; failed: number };
    return { requestsPerSecond: Math.round(ok / seconds), failed, serverCount: emulator.stats().requests.total };
  } finally {
    await emulator.close();
  }
}
