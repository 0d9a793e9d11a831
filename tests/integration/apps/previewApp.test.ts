/**
 * The post preview as an MCP App in Chromium (see reportApp.test.ts for the host): the view shows the
 * PNG of a real instagram_preview_post result, the caption folded at "… more" (opened from the call's
 * own arguments), and each item's crop as the tool computed it.
 */
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { APPS_CAPABILITY, chromiumMissing, distinctColours, launchChromium, showApp } from '../../helpers/mcpApps.js';
import { jpeg, writeMedia } from '../publishing/helpers.js';

const skip = chromiumMissing('tests/integration/apps/previewApp.test.ts');
const SCREENSHOT = path.join(os.tmpdir(), 'instagram-mcp-preview-app.png');
const CAPTION = `Fresh sourdough out of the oven this morning, still warm and crackling. Come early: we sell out by ten most days!\nSecond line of the story, only after "more".`;

describe.skipIf(skip)('MCP App: the post preview in Chromium', () => {
  let h: Harness;
  let appClient: Client;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    await h.connectAccount('business');
    writeMedia(h, 'portrait.jpg', await jpeg(1080, 1350, '#3080c0'));
    writeMedia(h, 'wide.jpg', await jpeg(1920, 1080, '#30c080'));
    appClient = await h.connect({ capabilities: APPS_CAPABILITY });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the preview image, the folded caption and the crops of a real result', async () => {
    const { tools } = await appClient.listTools();
    const uri = (tools.find((t) => t.name === 'instagram_preview_post')!._meta as { ui: { resourceUri: string } }).ui.resourceUri;
    const html = ((await appClient.readResource({ uri })).contents[0] as { text: string }).text;
    const input = { media: [path.join(h.mediaDir, 'portrait.jpg'), path.join(h.mediaDir, 'wide.jpg')], caption: CAPTION };
    const result = (await appClient.callTool({ name: 'instagram_preview_post', arguments: input }, undefined, { timeout: 120_000 })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    // The view shows the tool's PNG, so a client with the extension still gets the image block.
    expect(result.content.filter((c) => c.type === 'image')).toHaveLength(1);
    const preview = result.structuredContent as { caption: { visible: string; truncated: boolean }; items: Array<{ crop: { x: number; y: number; width: number; height: number } | null }> };
    expect(preview.caption.truncated).toBe(true);

    const { page, frame, pageErrors } = await showApp(browser, html, input, result, async () => {
      throw new Error('the preview view calls no tool');
    });
    const image = frame.locator('#image');
    await expect.poll(() => image.evaluate((node) => {
      const img = node as unknown as { complete: boolean; naturalWidth: number };
      return img.complete ? img.naturalWidth : 0;
    }), { timeout: 20_000 }).toBeGreaterThan(300);
    const caption = frame.locator('#caption');
    expect(await caption.innerText()).toContain(preview.caption.visible);
    expect(await caption.innerText()).not.toContain('only after "more"');
    await frame.locator('#more').click();
    await expect.poll(() => caption.innerText()).toContain('Second line of the story, only after "more".');
    // The wide image's row shows the crop the tool computed (1920×1080 cut to the first item's 4:5).
    const crop = preview.items[1]!.crop!;
    expect(crop).toEqual({ x: 528, y: 0, width: 864, height: 1080 });
    expect(await frame.locator('#items').innerText()).toContain(`${crop.width}×${crop.height} at ${crop.x},${crop.y}`);
    expect(await frame.locator('[role="status"]').innerText()).toMatch(/Ready to publish|to fix/);
    const shot = await page.locator('#app').screenshot({ path: SCREENSHOT });
    expect(await distinctColours(shot)).toBeGreaterThan(30);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
