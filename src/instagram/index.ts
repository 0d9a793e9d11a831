export * from './errors.js';
export * from './http.js';
export * from './account.js';
export * from './oauth.js';
export * from './profile.js';
export * from './publishing.js';
export * from './media.js';
