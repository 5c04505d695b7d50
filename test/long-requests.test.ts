import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, test } from 'node:test';
import { Agent, setGlobalDispatcher } from 'undici';
import { client } from './helpers/genai.ts';

/**
 * A Flex answer may take 15 minutes; Node's fetch (undici) drops a response whose headers take
 * more than 5. @google/genai 2.x sends each request with undici's header and body timeouts off, so
 * docpool's own deadline (20 minutes with Flex) is the one that decides. This holds that
 * assumption against SDK upgrades, at a small scale: a global dispatcher that gives up after 1 s
 * (the stand-in for Node's 5 minutes) and a server that answers after 3 s.
 */
test('the SDK is not cut off by the fetch dispatcher timeouts: the request deadline decides', async () => {
  const server = createServer((_request, response) => {
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ candidates: [{ content: { parts: [{ text: '{"ok":true}' }], role: 'model' }, finishReason: 'STOP' }] }));
    }, 3_000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  const { port } = server.address() as { port: number };
  setGlobalDispatcher(new Agent({ headersTimeout: 1_000, bodyTimeout: 1_000 }));

  // Plain fetch is cut off by the dispatcher …
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'UND_ERR_HEADERS_TIMEOUT');
  // … the SDK's request is not.
  const answer = await client(`http://127.0.0.1:${port}`).models.generateContent({ model: 'gemini-3.5-flash-lite', contents: 'hello' });
  assert.equal(answer.text, '{"ok":true}');
});
