// Development/test entry of the dashboard thread: on Node 20 a worker thread does not inherit
// tsx's loader, so this plain-JS file registers it and then loads the TypeScript entry. The built
// package starts dist/tui/render-thread.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./render-thread.ts');
