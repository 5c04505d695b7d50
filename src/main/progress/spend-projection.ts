import type { RunSnapshot } from './run-stats.ts';

/** Answered files needed before their average cost replaces a worst-case prior. */
const COST_SAMPLE = 10;

/**
 * Spent so far plus what `filesToCome` more files will likely cost: at the average of the files
 * answered so far, or at the prior (a worst-case cost per file) until enough are answered. The
 * dashboard projects the run's total with it, and `--max-cost` checks each admission against it.
 */
export function projectedCost(snapshot: RunSnapshot, filesToCome: number, priorCostPerFile = 0): number {
  const average = snapshot.done > 0 ? snapshot.costUsd / snapshot.done : 0;
  const perFile = snapshot.done >= COST_SAMPLE ? average : Math.max(priorCostPerFile, average);
  return snapshot.costUsd + perFile * Math.max(0, filesToCome);
}
