import { benchUploadRss } from './uploadRss.js';
const t0 = Date.now();
console.log(JSON.stringify(await benchUploadRss(), null, 1), Date.now() - t0);
