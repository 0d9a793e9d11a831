/**
 * The MCP Apps identifiers src/apps writes out (to keep the extension's server SDK out of start-up)
 * are the ones the extension's SDK exports, and a client counts as rendering apps only when it
 * declares the extension with HTML views.
 */
import { EXTENSION_ID, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { describe, expect, it } from 'vitest';
import { APP_MIME_TYPE, APPS_EXTENSION_ID, clientRendersApps } from '../../../src/apps/index.js';

describe('MCP Apps identifiers', () => {
  it('are the extension SDK’s own', () => {
    expect(APPS_EXTENSION_ID).toBe(EXTENSION_ID);
    expect(APP_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
  });

  it('recognise a client that declares the extension with HTML views, and no other', () => {
    expect(clientRendersApps({ extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } } as never)).toBe(true);
    expect(clientRendersApps({ extensions: { [EXTENSION_ID]: { mimeTypes: ['text/plain'] } } } as never)).toBe(false);
    expect(clientRendersApps({ extensions: { [EXTENSION_ID]: {} } } as never)).toBe(false);
    expect(clientRendersApps({})).toBe(false);
    expect(clientRendersApps(undefined)).toBe(false);
  });
});
