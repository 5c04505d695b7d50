import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EmulatedClock } from './clock.ts';
import { modelResource } from './catalogue.ts';
import { type EmulatorConfig, type EmulatorConfigInput, parseEmulatorConfig, quotaFor, rulesFor, servedModels } from './config.ts';
import { FaultPlan } from './faults.ts';
import { BatchStore } from './batch-api.ts';
import { FileStore } from './files-api.ts';
import { answer, countTokensBody, type Outcome, parseBody, readOrReject, respond } from './generate.ts';
import { latencyFor } from './latency.ts';
import { SlidingQuota } from './quota.ts';
import { type EmulatorStats, StatsRecorder } from './stats.ts';
import * as wire from './wire-errors.ts';

export interface EmulatorOptions extends EmulatorConfigInput {
  /** Default 127.0.0.1: the emulator is for this machine only. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
}

export interface RunningEmulator {
  /** Base URL for `httpOptions.baseUrl`, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stats(): EmulatorStats;
  configure(patch: EmulatorConfigInput): void;
  resetStats(): void;
  close(): Promise<void>;
}

const MINUTE_MS = 60_000;
const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|countTokens)$/;

/**
 * Starts a Gemini v1beta-compatible server (DESIGN §6): the unmodified @google/genai client
 * pointed at its URL cannot tell it from Google, down to the quota 429 bodies.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { host = '127.0.0.1', port = 0, ...configInput } = options;
  let config = parseEmulatorConfig(configInput);
  const faults = new FaultPlan(config);
  let clock = clockOf(config);
  const inFlightByModel = new Map<string, number>();
  /** Flex requests admitted and not yet answered, per model: past the capacity, new ones are shed. */
  const flexInFlight = new Map<string, number>();
  const stats = new StatsRecorder(MINUTE_MS * config.timeScale);
  let quotas = new Map<string, SlidingQuota>();
  /** USD of the answers given so far, at the catalogue's prices: what a spend cap is checked against. */
  let spentUsd = 0;
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  const files = new FileStore(() => config.timeScale);
  const batches = new BatchStore(
    () => config,
    files,
    () => faults.uniform(),
    (model, input, output, thinking) => stats.usage(model, input, output, thinking, 'batch'),
  );

  const quotaOf = (key: string, model: string): SlidingQuota => {
    const id = `${key}\u0000${model}`;
    let quota = quotas.get(id);
    if (!quota) {
      quota = new SlidingQuota(quotaFor(config, model), MINUTE_MS * config.timeScale, clock);
      quotas.set(id, quota);
    }
    return quota;
  };

  /** The caller's API key, or Google's refusal: none given (403), or not one of `acceptedKeys` (400). */
  const callerOf = (request: IncomingMessage): { ok: true; key: string } | { ok: false; refusal: wire.WireError } => {
    const key = apiKeyOf(request);
    if (!key) return { ok: false, refusal: wire.permissionDenied() };
    if (config.acceptedKeys.length > 0 && !config.acceptedKeys.includes(key)) return { ok: false, refusal: wire.apiKeyInvalid() };
    return { ok: true, key };
  };

  const configure = (patch: EmulatorConfigInput) => {
    config = parseEmulatorConfig({ ...config, ...patch });
    faults.reconfigure(config, 'outages' in patch);
    if ('clockStart' in patch || 'timeScale' in patch) clock = clockOf(config);
    stats.setWindow(MINUTE_MS * config.timeScale);
    quotas = new Map(); // new limits start from an empty window
    if ('spendCap' in patch) spentUsd = 0;
  };

  const handleApi = async (request: IncomingMessage, model: string, method: string, raw: string, response: ServerResponse): Promise<void> => {
    stats.received(model, method);
    inFlightByModel.set(model, (inFlightByModel.get(model) ?? 0) + 1);
    try {
      const outcome = decide(request, model, method, raw);
      if (outcome.kind === 'stall') {
        stalled.add(response);
        await new Promise<void>((resolve) => response.on('close', resolve));
        stalled.delete(response);
        stats.finished('stalled');
        return; // never answered: the client's own deadline must save it
      }
      await sleep(outcome.delayMs);
      if (outcome.kind === 'reset') {
        stats.finished('reset');
        request.socket.destroy();
        return;
      }
      stats.finished(outcome.status);
      sendJson(response, outcome.status, outcome.body);
    } finally {
      inFlightByModel.set(model, (inFlightByModel.get(model) ?? 1) - 1);
    }
  };

  const decide = (request: IncomingMessage, model: string, method: string, raw: string): Outcome => {
    const caller = callerOf(request);
    if (!caller.ok) return respond(caller.refusal);
    const { key } = caller;
    const refusal = config.refuse && runWideRefusal(config.refuse);
    if (refusal) return respond(refusal);
    if (config.spendCap && spentUsd >= config.spendCap.usd) {
      stats.fault('spend_cap');
      return respond(wire.spendCapExceeded(config.spendCap.kind));
    }
    const rules = rulesFor(config, model);
    if (!rules || !rules.methods.includes(method)) return respond(wire.modelNotFound(model, method));
    const parsed = parseBody(raw, method);
    if (!parsed.ok) return parsed.outcome;
    const read = readOrReject(parsed.body, rules, method);
    if (!read.ok) return read.outcome;
    const { reading } = read;
    if (method === 'countTokens') return { kind: 'respond', status: 200, body: countTokensBody(reading), delayMs: 0 };

    const tier = serviceTierOf(parsed.body.serviceTier);
    if (tier === undefined) {
      return respond(
        wire.invalidArgument(
          `Invalid value at 'service_tier' (type.googleapis.com/google.ai.generativelanguage.v1beta.ServiceTier), "${parsed.body.serviceTier}"`,
        ),
      );
    }
    const flex = tier === 'flex';
    const now = Date.now();
    const inFlight = inFlightByModel.get(model) ?? 0;
    const timeFor = (thinkingTokens: number) =>
      latencyFor(config, model, { promptTokens: reading.promptTokens, thinkingTokens, inFlight, flex }, () => faults.uniform());
    if (flex && (flexInFlight.get(model) ?? 0) >= config.flex.capacity) {
      stats.fault('flex_shed');
      return respond(wire.noCapacity(), 50 * config.timeScale);
    }
    const down = faults.outage(model, now);
    if (down) {
      stats.fault(`outage_${down}`);
      return respond(down === 503 ? wire.overloaded() : wire.internal(), timeFor(0) / 10);
    }
    const admitted = quotaOf(key, model).tryAdmit(now, reading.promptTokens);
    if (!admitted.ok) return respond(wire.quotaExceeded(model, admitted.metric, admitted.limit, admitted.retryAfterMs));

    const fault = faults.next(model);
    if (fault) stats.fault(fault);
    switch (fault) {
      case 'stall':
        return { kind: 'stall' };
      case 'reset':
        return { kind: 'reset', delayMs: timeFor(0) / 2 };
      case '429': {
        // A rate-limit burst the quota did not cause (another client on the same project): the
        // real body, with a short fractional retryDelay.
        const retryAfterMs = (200 + faults.uniform() * 1800) * config.timeScale;
        return respond(wire.quotaExceeded(model, 'rpm', quotaFor(config, model).rpm ?? 1000, retryAfterMs));
      }
      case '429_bare':
        return respond(wire.exhaustedWithoutDetails(), timeFor(0) / 4);
      case '500':
        return respond(wire.internal(), timeFor(0) / 4);
      case '503':
        return respond(wire.overloaded(), timeFor(0) / 4);
      case '504':
        return respond(wire.deadlineExceeded(), timeFor(0));
      case 'location':
      case 'billing':
      case 'permission':
        return respond(runWideRefusal(fault));
      default: {
        const result = answer(model, rules, parsed.body, reading, fault, { config: config.misread, seed: config.seed });
        if (result.misread) stats.fault(`misread_${result.misread}`);
        stats.accepted(model, now);
        stats.usage(model, reading.promptTokens, result.outputTokens, result.thinkingTokens, tier);
        stats.promptModalities(reading.tokensByModality);
        spentUsd += ((reading.promptTokens * rules.price.input + (result.outputTokens + result.thinkingTokens) * rules.price.output) / 1e6) * (flex ? 0.5 : 1);
        const delayMs = timeFor(result.thinkingTokens);
        if (flex) {
          flexInFlight.set(model, (flexInFlight.get(model) ?? 0) + 1);
          setTimeout(() => flexInFlight.set(model, (flexInFlight.get(model) ?? 1) - 1), delayMs).unref();
        }
        return { kind: 'respond', status: 200, body: result.body, delayMs };
      }
    }
  };

  const server = createServer((request, response) => {
    readBody(request, config.maxPayloadBytes)
      .then(async (bytes) => {
        const raw = bytes.toString('utf8');
        const url = new URL(request.url ?? '/', 'http://emulator');
        const path = url.pathname;
        if (path === '/_emulator/stats' && request.method === 'GET') return sendJson(response, 200, snapshot());
        if (path === '/_emulator/config' && request.method === 'POST') {
          configure(JSON.parse(raw || '{}') as EmulatorConfigInput);
          return sendJson(response, 200, config);
        }
        if (path === '/_emulator/reset' && request.method === 'POST') {
          stats.reset();
          return sendJson(response, 200, { ok: true });
        }
        if (request.method === 'GET' && serveModels(request, path, url.searchParams, response)) return;
        const route = ROUTE.exec(path);
        if (!route || request.method !== 'POST') {
          const served = serveResources(request, url, bytes, response);
          if (served) return;
          return sendJson(response, 404, wire.notFound(path).body);
        }
        await handleApi(request, decodeURIComponent(route[1]!), route[2]!, raw, response);
      })
      .catch((error: unknown) => {
        if (error instanceof PayloadTooLarge) {
          const tooLarge = wire.invalidArgument(`Request payload size exceeds the limit: ${config.maxPayloadBytes} bytes.`);
          return sendJson(response, tooLarge.status, tooLarge.body, true);
        }
        if (error instanceof SyntaxError || /emulator config/.test(String(error)))
          return sendJson(response, 400, wire.invalidArgument(String((error as Error).message)).body);
        sendJson(response, 500, wire.internal().body);
      });
  });
  /**
   * models.list and models.get (ai.google.dev/api/models): the models served today, in the
   * resource's shape; a model not served (unknown, or past its shutdown) is Google's 404. False
   * for any other path.
   */
  const serveModels = (request: IncomingMessage, path: string, query: URLSearchParams, response: ServerResponse): boolean => {
    const one = /^\/v1beta\/models\/([^/:]+)$/.exec(path);
    if (path !== '/v1beta/models' && !one) return false;
    const caller = callerOf(request);
    if (!caller.ok) {
      sendJson(response, caller.refusal.status, caller.refusal.body);
      return true;
    }
    if (one) {
      const id = decodeURIComponent(one[1]!);
      const rules = rulesFor(config, id);
      // The method word for a Model lookup is not in any captured body: "get" follows the generateContent template.
      const reply = rules ? { status: 200, body: modelResource(id, rules) } : wire.modelNotFound(id, 'get');
      sendJson(response, reply.status, reply.body);
      return true;
    }
    const pageSize = Math.min(1000, Number(query.get('pageSize') ?? 50) || 50);
    const offset = Number(query.get('pageToken') ? Buffer.from(query.get('pageToken')!, 'base64url').toString() : 0) || 0;
    const served = servedModels(config);
    const page = served.slice(offset, offset + pageSize).map(([id, rules]) => modelResource(id, rules));
    const next = offset + pageSize < served.length ? { nextPageToken: Buffer.from(String(offset + pageSize)).toString('base64url') } : {};
    sendJson(response, 200, { models: page, ...next });
    return true;
  };

  /**
   * The Batch and Files APIs (../shared/reference/gemini-wire.md §8, §9); false for any other
   * path. They answer at once: a batch's time passes in its state, not in the request.
   */
  const snapshot = (): EmulatorStats => ({ ...stats.snapshot(), batches: batches.stats() });

  const serveResources = (request: IncomingMessage, url: URL, bytes: Buffer, response: ServerResponse): boolean => {
    const { pathname: path, searchParams: query } = url;
    const method = request.method ?? 'GET';
    const known = /^\/(v1beta\/(batches|files)|upload\/v1beta\/files|download\/v1beta\/files|v1beta\/models\/[^/:]+:batchGenerateContent)/.test(path);
    if (!known) return false;
    const caller = callerOf(request);
    if (!caller.ok) {
      sendJson(response, caller.refusal.status, caller.refusal.body);
      return true;
    }
    const reply = (answerOf: { status: number; body: unknown }) => sendJson(response, answerOf.status, answerOf.body);
    const pageSize = Math.min(1000, Number(query.get('pageSize') ?? 50) || 50);
    const pageToken = query.get('pageToken') ?? undefined;
    let match: RegExpExecArray | null;
    if (method === 'POST' && (match = /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/.exec(path))) {
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        reply(wire.invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`));
        return true;
      }
      reply(batches.create(decodeURIComponent(match[1]!), body));
    } else if (method === 'GET' && path === '/v1beta/batches') {
      reply(batches.list(pageSize, pageToken));
    } else if ((match = /^\/v1beta\/batches\/([^/:]+)(:cancel)?$/.exec(path))) {
      const id = match[1]!;
      if (match[2] && method === 'POST') reply(batches.cancel(id));
      else if (!match[2] && method === 'GET') reply(batches.get(id));
      else if (!match[2] && method === 'DELETE') reply(batches.delete(id));
      else return false;
    } else if (method === 'POST' && path === '/upload/v1beta/files') {
      const uploadId = query.get('upload_id');
      if (!uploadId) {
        const declared = Number(request.headers['x-goog-upload-header-content-length'] ?? 0);
        const mimeType = String(request.headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream');
        const meta = (JSON.parse(bytes.toString('utf8') || '{}') as { file?: { displayName?: string } }).file;
        const id = files.start(declared, mimeType, meta?.displayName);
        response.setHeader('x-goog-upload-url', `${url.origin}/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`);
        response.setHeader('x-goog-upload-status', 'active');
        sendJson(response, 200, {});
      } else {
        const result = files.chunk(
          uploadId,
          String(request.headers['x-goog-upload-command'] ?? ''),
          Number(request.headers['x-goog-upload-offset'] ?? 0),
          bytes,
        );
        if (!result.ok) {
          response.setHeader('x-goog-upload-status', 'final');
          reply(wire.invalidArgument(result.message));
        } else {
          response.setHeader('x-goog-upload-status', result.status);
          sendJson(response, 200, result.status === 'final' ? { file: result.file } : {});
        }
      }
    } else if (method === 'GET' && path === '/v1beta/files') {
      reply({ status: 200, body: files.list(pageSize, pageToken) });
    } else if ((match = /^\/(?:download\/)?v1beta\/files\/([^/:]+)(:download)?$/.exec(path))) {
      const name = `files/${match[1]!}`;
      const notFound = { status: 404, body: { error: { code: 404, message: `File ${name} not found.`, status: 'NOT_FOUND' } } };
      if (match[2] && method === 'GET') {
        const content = files.bytes(name);
        if (!content) reply(notFound);
        else {
          response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length });
          response.end(content);
        }
      } else if (method === 'GET') {
        const file = files.get(name);
        reply(file ? { status: 200, body: file } : notFound);
      } else if (method === 'DELETE') {
        reply(files.delete(name) ? { status: 200, body: {} } : notFound);
      } else return false;
    } else return false;
    return true;
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    stats: snapshot,
    configure,
    resetStats: () => stats.reset(),
    close: async () => {
      for (const response of stalled) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class PayloadTooLarge extends Error {}

function clockOf(config: EmulatorConfig): EmulatedClock {
  return new EmulatedClock(config.timeScale, config.clockStart ? Date.parse(config.clockStart) : Date.now());
}

/** The refusal a whole project gets: its location, its billing, or its permission to use the API. */
function runWideRefusal(kind: 'location' | 'billing' | 'permission'): wire.WireError {
  if (kind === 'location') return wire.failedPrecondition(wire.LOCATION_NOT_SUPPORTED);
  if (kind === 'billing') return wire.failedPrecondition(wire.BILLING_REQUIRED);
  return wire.projectDenied();
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      request.resume();
      reject(new PayloadTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.destroy();
        reject(new PayloadTooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function apiKeyOf(request: IncomingMessage): string | undefined {
  const header = request.headers['x-goog-api-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader;
  return new URL(request.url ?? '/', 'http://emulator').searchParams.get('key') ?? undefined;
}

function sendJson(response: ServerResponse, status: number, body: unknown, close = false): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(text);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export type { EmulatorConfig };

/** The request's service tier, as the API names them; undefined for a value the enum does not have. */
function serviceTierOf(value: string | undefined): 'standard' | 'flex' | 'priority' | undefined {
  const tier = (value ?? 'standard').toLowerCase().replace(/^service_tier_/, '');
  if (tier === 'unspecified' || tier === 'standard') return 'standard';
  return tier === 'flex' || tier === 'priority' ? tier : undefined;
}
