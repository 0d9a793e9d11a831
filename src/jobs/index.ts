export { EmbeddedJobQueue, JOB_LEASE_MS, JOB_POLL_MS } from './embedded.js';
export type { JobHandler, JobQueue, JobResult, JobSpec, RunningJob } from './types.js';
