import type { EmulatorConfig } from './config.ts';

/**
 * Time to answer one request: log-normal around the model's median, plus prefill per input token
 * and decode per thinking token, slowed by load (a model with `loadKnee` requests in flight
 * answers twice as slowly), all times the time scale. Real latency grows with both; a client
 * whose deadline ignores either finds out here.
 */
export function latencyFor(
  config: EmulatorConfig,
  model: string,
  work: { promptTokens: number; thinkingTokens: number; inFlight: number; flex?: boolean },
  uniform: () => number,
): number {
  const modelLatency = config.latency[model] ?? config.defaultLatency;
  const latency = work.flex ? { ...modelLatency, medianMs: config.flex.medianMs, sigma: config.flex.sigma } : modelLatency;
  // Box–Muller from two seeded uniforms.
  const normal = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const base = latency.medianMs * Math.exp(latency.sigma * normal);
  const compute = base + (work.promptTokens / 1000) * latency.perKiloTokenMs + work.thinkingTokens * latency.perThinkingTokenMs;
  // Flex waits for spare capacity rather than slowing with this client's own load.
  return compute * (work.flex ? 1 : 1 + work.inFlight / config.loadKnee) * config.timeScale;
}
