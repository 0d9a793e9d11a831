export { EmbeddedJobQueue } from './embedded.js';
export type { JobQueue } from './types.js';
