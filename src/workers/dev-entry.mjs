// Development/test entry for Piscina. On Node 20, worker threads do not inherit tsx's loader
// (DESIGN §12), so this plain-JS file registers it inside the worker and then loads the
// TypeScript entry. The built package points Piscina at dist/.../prepare-entry.js instead.
import { register } from 'tsx/esm/api';

register();
const entry = await import('./prepare-entry.ts');

export default entry.default;
export const lastMovedByteLength = entry.lastMovedByteLength;
export const hash = entry.hash;
export const expand = entry.expand;
