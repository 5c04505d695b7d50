import { Worker } from 'node:worker_threads';
const w = new Worker(new URL('./t.mts', import.meta.url), { argv: [process.argv[2]], execArgv: ['--import', 'tsx'] });
w.on('exit', (c) => console.log('exit', c));
