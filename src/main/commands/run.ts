import type { Config } from '../config/schema.ts';
import { RunSession, type RunIo } from './run-session.ts';

export type { RunIo };

/** `docpool run`: the whole job, returning the process exit code. */
export async function runCommand(paths: readonly string[], config: Config, io: RunIo): Promise<number> {
  const session = await RunSession.start(paths, config, io);
  try {
    if (config.cancel) return await session.cancelBatchJobs();
    const end = await session.runPipeline();
    return await session.finish(end);
  } finally {
    await session.close();
  }
}
