/**
 * Instagram Graph API emulator: a real HTTP server on loopback standing in for every Meta host
 * (graph.instagram.com, graph.facebook.com, api.instagram.com, www.instagram.com, www.facebook.com,
 * rupload.facebook.com) with test controls. See server.ts for the URL layout and how to add routes.
 */
export { createEmulator } from './emulator.js';
export type { Emulator } from './emulator.js';
export { completeAuthorization } from './sandbox.js';
export { serverSettingsFor } from './serverSettings.js';
export type { EmulatorOptions, FaultKind, LoggedRequest } from './types.js';
