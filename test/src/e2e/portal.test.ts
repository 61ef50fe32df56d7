import path from 'node:path';
import fs from 'node:fs';
import { Browser } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../support/launchBrowser';
import { describeWithTool } from '../support/requireTool';
import { Portal, repoRoot, startPortal } from '../support/startPortal';

jest.setTimeout(300_000);

describeWithTool(CHROMIUM, 'the portal end-to-end test drives a real browser')(
  'the portal in a real browser',
  () => {
    let portal: Portal;
    let browser: Browser;

    beforeAll(async () => {
      fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
      portal = await startPortal({ appPort: 3310, backendPort: 7310 });
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      await portal?.stop();
    });

    it('signs in as guest and shows the Appliances page with live data from the backend', async () => {
      const page = await browser.newPage({
        viewport: { width: 1400, height: 900 },
      });
      await page.goto(`${portal.appUrl}/appliances`);
      await page
        .getByRole('button', { name: /enter/i })
        .click({ timeout: 90_000 });

      await page
        .getByText('Virtual appliances')
        .waitFor({ timeout: 60_000 })
        .catch(async e => {
          await page.screenshot({
            path: path.join(repoRoot, 'test-results', 'portal-failure.png'),
          });
          throw new Error(
            `${e.message}\nThe page said:\n${await page.innerText('body')}`,
          );
        });
      await expect(
        page.getByRole('link', { name: 'Appliances' }).count(),
      ).resolves.toBeGreaterThan(0);
      await expect(
        page.getByRole('link', { name: 'Catalog' }).count(),
      ).resolves.toBeGreaterThan(0);

      // The page shows what the backend says, not a constant.
      const token = await page.evaluate(async backend => {
        const res = await fetch(`${backend}/api/auth/guest/refresh`, {
          credentials: 'include',
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        });
        return (await res.json()).backstageIdentity.token as string;
      }, portal.backendUrl);
      // The sample channel is ingested in the background after start-up; a first
      // fetch that raced the server's start is retried within 15 s.
      let appliances = { items: [] as { label: string }[] };
      for (let i = 0; i < 60 && !appliances.items.length; i++) {
        if (i) await new Promise(r => setTimeout(r, 1000));
        appliances = await (
          await fetch(`${portal.backendUrl}/api/appliances/appliances`, {
            headers: { Authorization: `Bearer ${token}` },
          })
        ).json();
      }
      expect(appliances.items.length).toBeGreaterThan(0);
      const first = appliances.items[0];
      // A page opened before the ingest shows none yet; a reload shows them.
      if (!(await page.getByText(first.label).count())) await page.reload();
      await page.getByText(first.label).first().waitFor({ timeout: 60_000 });
      const body = await page.innerText('body');
      for (const appliance of appliances.items) {
        expect(body).toContain(appliance.label);
      }

      const out = path.join(repoRoot, 'test-results');
      fs.mkdirSync(out, { recursive: true });
      await page.screenshot({ path: path.join(out, 'appliances-page.png') });
    });
  },
);
