/** The enumerated values of the store's columns: plain constants, so light modules (tool schemas) can use them without loading drizzle. */
export const ACCOUNT_STATUSES = ['active', 'needs_reauth', 'disconnected'] as const;
export const LOGIN_TYPES = ['instagram', 'facebook'] as const;
export const OAUTH_SESSION_STATUSES = ['pending', 'exchanging', 'completed', 'failed'] as const;
export const MEDIA_SOURCES = ['local', 'url', 'upload'] as const;
export const POST_KINDS = ['image', 'video', 'carousel', 'reel', 'story'] as const;
export const POST_STATES = ['pending', 'scheduled', 'creating_container', 'uploading', 'processing', 'ready', 'publishing', 'completed', 'failed', 'cancelled', 'skipped'] as const;
/** The states a post ends in: nothing more happens to it. */
export const FINAL_POST_STATES = ['completed', 'failed', 'cancelled', 'skipped'] as const;
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
/** A carousel child's container: waiting for its video upload, processing on Instagram, or FINISHED. */
export const CHILD_STATES = ['uploading', 'processing', 'finished'] as const;
