// "Needs login" on the page, in headless Chromium: a team whose optional server sits behind OAuth
// (a real oidc-provider and protected MCP server) with no token; the card and the health panel say
// it needs a login; after one, the card shows the credential as valid with its expiry.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConnection } from '../../src/actors/ServerConnection.js';
import { FileTokenStore } from '../../src/auth/FileTokenStore.js';
import { type DashboardServer, serveDashboard } from '../../src/dashboard/serveDashboard.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { stopAllFixtures } from '../fixtures/index.js';
import { teamNeedingLogin, useOAuthServers, useOwnTokenFile } from '../support/oauthServers.js';
import { launchChromium, openWatchedPage } from './chromium.js';

const servers = useOAuthServers({ accessTokenTtl: 300 });
useOwnTokenFile('azcore-dashboard-login-');
let team: MCPTeam;
let dashboard: DashboardServer;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  team = await teamNeedingLogin('login-e2e', servers.rs.url.href);
  dashboard = await serveDashboard(team, { port: 0, sampleIntervalMs: 250, healthIntervalMs: 60_000 });
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openWatchedPage(browser, {
    viewport: { width: 1400, height: 1000 },
  }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await team?.cleanup();
  await stopAllFixtures();
});

const card = (server: string) => `[data-server="${server}"]`;

describe('needs login on the dashboard page', () => {
  it('the card says needs login with the command, health names it; after a login the card shows the credential', async () => {
    await page.goto(dashboard.url.href);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector(`${card('secured')}[data-needs-login="true"] .conn:text-is("needs login")`);
    await page.waitForSelector(`${card('secured')} .auth:text-matches("run azcore auth login secured")`);
    await page.waitForSelector('#health[data-health="degraded"]');
    await page.waitForSelector(
      '#health-checks dd:text-matches("secured needs an OAuth login: run `azcore auth login secured`")',
    );
    expect(await page.locator(`${card('local')} .auth`).isHidden()).toBe(true);

    const secured = team.getServer('secured') as ServerConnection;
    await secured.login({
      onAuthorizationUrl: async (url) => {
        await fetch(await servers.as.completeAuthorization(url));
      },
    });
    await page.waitForSelector(`${card('secured')}[data-needs-login="false"][data-connection-state="ready"]`);
    await page.waitForSelector(
      `${card('secured')} .auth[data-credential="valid"]:text-matches("credential valid, expires")`,
    );
    const text = (await page.locator(card('secured')).textContent()) ?? '';
    const [record] = await new FileTokenStore().find(servers.rs.url.href);
    expect(record?.tokens?.access_token).toBeTruthy();
    for (const secret of [record?.tokens?.access_token, record?.tokens?.refresh_token].filter(Boolean)) {
      expect(text).not.toContain(secret);
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
