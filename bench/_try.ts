import { benchHttpLoad } from './httpLoad.js';
const t0 = Date.now();
console.log(JSON.stringify(await benchHttpLoad(), null, 1), Date.now() - t0);
