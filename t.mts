import { nestedFormsPdf } from './test/helpers/hostile-pdf.ts';
import { readPdfWindow } from './src/workers/pdf-window.ts';
const depth = Number(process.argv[2]);
const t = performance.now();
const r = readPdfWindow(nestedFormsPdf(depth), 5, false, true);
console.log(depth, r.ok ? 'ok' : r.code, r.ok ? '' : r.message.slice(0, 120), Math.round(performance.now() - t), 'ms');
