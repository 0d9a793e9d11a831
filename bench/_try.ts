import { benchReelDelay } from './reelDelay.js';
const r = await benchReelDelay();
for (const k of ['ours','peer3s','peer5s'] as const) { const { perNominal, ...rest } = r[k]; console.log(rest); }
