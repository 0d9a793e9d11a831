/**
 * The performance report as an MCP App, rendered in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) inside a minimal host page that speaks the extension's protocol with the
 * extension's own AppBridge (tests/helpers/browser/appHost.ts). The view's HTML is what the real
 * server answers to resources/read; the tool result it draws is a real tools/call through the SDK
 * Client; the period switch goes back to the server through the host. Skipped, with the reason
 * printed, where Chromium is not installed, except under CI (`CI` set), where that is a failure.
 */
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHistory } from '../../../src/emulator/history.js';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { APPS_CAPABILITY, chromiumMissing, distinctColours, launchChromium, showApp } from '../../helpers/mcpApps.js';

const skip = chromiumMissing('tests/integration/apps/reportApp.test.ts');
/** Kept after the run, to look at. */
const SCREENSHOT = path.join(os.tmpdir(), 'instagram-mcp-report-app.png');
const REPORT_ARGS = { account: 'sandbox_bakery', period: '30d', time_zone: 'UTC' };

describe.skipIf(skip)('MCP App: the performance report in Chromium', () => {
  let h: Harness;
  let appClient: Client;
  let browser: Browser;
  let page: Page;
  let frame: FrameLocator;
  const forwarded: Array<{ name: string; arguments?: Record<string, unknown> }> = [];
  let html: string;
  let toolResult: CallToolResult;

  beforeAll(async () => {
    h = await startHarness();
    seedHistory(h.emulator.state, h.emulator.users.instagramBusiness.id, { days: 90, perDay: 1 });
    await h.connectAccount('business');
    appClient = await h.connect({ capabilities: APPS_CAPABILITY });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('links the tool to its ui:// resource, which the server answers as an MCP App document', async () => {
    const { tools } = await appClient.listTools();
    const tool = tools.find((t) => t.name === 'instagram_performance_report')!;
    const uri = (tool._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
    expect(uri).toMatch(/^ui:\/\//);
    const { resources } = await appClient.listResources();
    expect(resources.find((r) => r.uri === uri)).toMatchObject({ mimeType: 'text/html;profile=mcp-app' });
    const read = await appClient.readResource({ uri: uri! });
    const content = read.contents[0] as { uri: string; mimeType: string; text: string };
    expect(content.mimeType).toBe('text/html;profile=mcp-app');
    expect(content.text).toMatch(/^<!doctype html>/i);
    // One self-contained document: nothing to fetch from elsewhere (hosts give views no network).
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    html = content.text;
  });

  it('gives the images to a client without the extension and the app to one with it', async () => {
    const plain = (await h.client.callTool({ name: 'instagram_performance_report', arguments: REPORT_ARGS }, undefined, { timeout: 120_000 })) as CallToolResult;
    expect(plain.content.filter((c) => c.type === 'image').length).toBeGreaterThan(0);
    toolResult = (await appClient.callTool({ name: 'instagram_performance_report', arguments: REPORT_ARGS }, undefined, { timeout: 120_000 })) as CallToolResult;
    expect(toolResult.isError).toBeFalsy();
    expect(toolResult.content.filter((c) => c.type === 'image')).toEqual([]);
    // The same report: the rows the view draws are the rows the agent reads.
    expect((toolResult.structuredContent as { accounts: unknown }).accounts).toEqual((plain.structuredContent as { accounts: unknown }).accounts);
  });

  it('draws the report from the tool result; switching metric and period redraws it', async () => {
    const shown = await showApp(browser, html, REPORT_ARGS, toolResult, async (params) => {
      forwarded.push(params);
      return appClient.callTool(params, undefined, { timeout: 120_000 });
    });
    ({ page, frame } = shown);
    const pageErrors = shown.pageErrors;

    const report = (toolResult.structuredContent as { accounts: Array<{ daily: Array<{ reach: number | null }>; totals: { reach: { current: number } } }> }).accounts[0]!;
    const chart = frame.locator('#chart');
    await expect.poll(() => chart.getAttribute('data-metric'), { timeout: 20_000 }).toBe('reach');
    await expect.poll(() => chart.locator('svg path').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    expect(await chart.getAttribute('data-account')).toBe('sandbox_bakery');
    // The totals are the tool result's numbers.
    expect(await frame.locator('#totals').innerText()).toContain(String(report.totals.reach.current));
    const reachSvg = await chart.locator('svg').innerHTML();
    expect(reachSvg).toContain('Reach per day');

    const shot = await page.locator('#app').screenshot({ path: SCREENSHOT.replace('.png', '-first.png') });
    expect(await distinctColours(shot)).toBeGreaterThan(30);
    const meta = await sharp(shot).metadata();
    expect(meta.width).toBeGreaterThan(700);

    // Hover shows the value of the day under the pointer (ECharts' tooltip).
    expect(await chart.innerText()).not.toMatch(/reach\s*\d+/i);
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => chart.innerText(), { timeout: 10_000 }).toMatch(/reach\s*\d+/i);

    // Metric switch: drawn from the same result, no tool call.
    const callsBefore = forwarded.length;
    await frame.locator('button[data-metric="views"]').click();
    await expect.poll(() => chart.getAttribute('data-metric')).toBe('views');
    const viewsSvg = await chart.locator('svg').innerHTML();
    expect(viewsSvg).toContain('Views per day');
    expect(viewsSvg).not.toBe(reachSvg);
    await frame.locator('button[data-metric="best_hours"]').click();
    await expect.poll(() => chart.getAttribute('data-metric')).toBe('best_hours');
    expect(await chart.locator('svg').innerHTML()).toContain('Followers online by local hour');
    expect(await frame.locator('button[data-metric="best_hours"]').getAttribute('aria-pressed')).toBe('true');
    expect(forwarded.length).toBe(callsBefore);

    // Period switch: the view asks the server again through the host (tools/call), and redraws.
    await frame.locator('button[data-metric="reach"]').click();
    await frame.locator('button[data-period="7d"]').click();
    await expect.poll(async () => `${await chart.getAttribute('data-period')} ${await frame.locator('#status').innerText()}`, { timeout: 60_000 }).toMatch(/^7d /);
    expect(forwarded.at(-1)).toEqual({ name: 'instagram_performance_report', arguments: { period: '7d', charts: false, account: 'sandbox_bakery' } });
    const weekSvg = await chart.locator('svg').innerHTML();
    expect(weekSvg).not.toBe(reachSvg);
    expect(await frame.locator('#heading').innerText()).toContain('7 days');
    const after = await page.locator('#app').screenshot({ path: SCREENSHOT });
    expect(await distinctColours(after)).toBeGreaterThan(30);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
