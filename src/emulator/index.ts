/**
 * Instagram Graph API emulator: a real HTTP server on loopback standing in for every Meta host
 * (graph.instagram.com, graph.facebook.com, api.instagram.com, www.instagram.com, www.facebook.com,
 * rupload.facebook.com) with test controls. See server.ts for the URL layout and how to add routes.
 */
export { createEmulator, AdjustableClock } from './emulator.js';
export type { Emulator, EmulatorUrls, IssueTokenOptions } from './emulator.js';
export { completeAuthorization } from './sandbox.js';
export { serverSettingsFor } from './serverSettings.js';
export { DEMO_ACCOUNTS, seedDemo, seedMedia } from './seed.js';
export { INSTAGRAM_SCOPES, FACEBOOK_SCOPES } from './state.js';
export type { EmulatorState } from './state.js';
export type {
  AccountType,
  ContainerStatusCode,
  EmulatedContainer,
  EmulatedFbUser,
  EmulatedIgUser,
  EmulatedMedia,
  EmulatedPage,
  EmulatorApps,
  EmulatorOptions,
  EmulatorUsers,
  FaultKind,
  FaultRule,
  GraphErrorSpec,
  Hold,
  HostRole,
  LoggedRequest,
  LoginType,
  RateLimitOptions,
  RequestMatcher,
} from './types.js';
