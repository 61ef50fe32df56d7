import path from 'node:path';
import fs from 'node:fs';
import { Browser, Locator, Page } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../support/launchBrowser';
import { describeWithTool } from '../support/requireTool';
import { Portal, repoRoot, startPortal } from '../support/startPortal';
import { Journey, VIEWPORT } from '../support/journey';
import { waitFor } from '../support/waitFor';
import { freePort } from '../support/freePort';
import { guestApi } from '../support/guestApi';

jest.setTimeout(900_000);

const SHOTS = path.join(repoRoot, 'test-results', 'journey');

/**
 * The portal as a new user meets it, in Chromium at 1440×900: every step
 * checks that nothing runs past the right edge, that the console stays
 * clean, that no request fails unexpectedly and that the step's main action
 * is in view, and saves test-results/journey/NN-step.png.
 */
describeWithTool(CHROMIUM, 'the journey suite drives a real browser')(
  'a journey through the portal',
  () => {
    let portal: Portal;
    let browser: Browser;
    let page: Page;
    let journey: Journey;

    beforeAll(async () => {
      // TEMPEST_E2E_APP_URL / _BACKEND_URL walk a portal already running (while developing).
      portal = process.env.TEMPEST_E2E_APP_URL
        ? {
            appUrl: process.env.TEMPEST_E2E_APP_URL,
            backendUrl: process.env.TEMPEST_E2E_BACKEND_URL!,
            logs: () => '',
            stop: async () => {},
          }
        : await startPortal({
            appPort: await freePort(),
            backendPort: await freePort(),
          });
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: VIEWPORT });
      journey = new Journey(page, SHOTS);
    });

    afterAll(async () => {
      await browser?.close();
      await portal?.stop();
    });

    const hostname = `journey-${Date.now().toString(36)}`;
    const hostName = `rack-${Date.now().toString(36)}`;
    const go = (to: string) => page.goto(`${portal.appUrl}${to}`);
    const button = (name: string | RegExp) =>
      page.getByRole('button', { name });
    // Names below are chosen not to collide with the sidebar's.
    const main = () => page.locator('body');
    // The catalog picks a new entity up within seconds; until then its page
    // says it is not found and a reload shows it.
    const untilCatalogued = async (shown: Locator) => {
      for (let i = 0; i < 30 && !(await shown.count()); i++) {
        await page.waitForTimeout(2000);
        if (await page.getByText(/not found/i).count()) await page.reload();
      }
    };

    it('signs in with Enter and lands on the home page', async () => {
      await go('/');
      await journey.check({ name: 'sign-in', main: button(/^enter$/i) });
      await page.keyboard.press('Enter');
      await button(/^enter$/i).waitFor({ state: 'detached' });
      await journey.check({
        name: 'home',
        main: main().getByRole('button', { name: 'Provision appliance' }),
      });
      await expect(
        main().getByText('What Tempest holds').count(),
      ).resolves.toBe(1);
      await expect(
        main().getByText('Your instances').count(),
      ).resolves.toBeGreaterThan(0);
      journey.done();
    });

    it('finds an appliance in the catalog and opens its page', async () => {
      await go(
        '/catalog?filters[kind]=resource&filters[type]=virtual-appliance',
      );
      const catalogSearch = main().getByPlaceholder('Search');
      await catalogSearch.first().waitFor();
      await catalogSearch.first().fill('Simple Web Server 1.1');
      await journey.check({
        name: 'catalog',
        // Backstage's own catalog page: its filters lack keys and its table
        // puts an <h2> inside an <h5> (plugin-catalog 2.x); not Tempest's to fix.
        knownWarnings: [
          /unique "key" prop[\s\S]*at ExtensionBoundary/,
          /validateDOMNesting[\s\S]*<h2>/,
        ],
        main: main().locator(
          'a[href$="/resource/sample.webserv.1.1.0-0"]:visible',
        ),
      });
      await main()
        .locator('a[href$="/resource/sample.webserv.1.1.0-0"]')
        .click();
      await journey.check({
        name: 'appliance-entity',
        main: main().getByRole('button', { name: /^provision$/i }),
      });
      await expect(main().getByText('About').count()).resolves.toBeGreaterThan(
        0,
      );
      journey.done();
    });

    it('searches and filters the Appliances page', async () => {
      await go('/appliances');
      const search = main().getByRole('textbox', { name: 'Search appliances' });
      await journey.check({ name: 'appliances', main: search });
      // Rows of appliances (the table pads a page with empty rows).
      const rows = main()
        .locator('tbody tr')
        .filter({ has: page.locator('a') });
      await main().getByText('Simple Web Server').first().waitFor();
      const all = await rows.count();
      await search.fill('redis');
      await main().getByText('Simple Web Server').first().waitFor({
        state: 'detached',
      });
      await expect(rows.count()).resolves.toBeLessThan(all);
      await journey.check({
        name: 'appliances-search',
        main: main().getByRole('link', { name: /Redis/ }),
      });
      await search.fill('');
      await main()
        .locator('[aria-haspopup="listbox"][aria-label="Provides"]')
        .click();
      await page.getByRole('option', { name: 'mailrelay' }).click();
      await main().getByText('Simple Web Server').first().waitFor({
        state: 'detached',
      });
      // The filtered page renders after the old rows go: count once it shows.
      await main()
        .getByRole('link', { name: /OpenSMTPD Mail Relay/ })
        .first()
        .waitFor();
      const filtered = await rows.count();
      expect(filtered).toBeGreaterThan(0);
      expect(filtered).toBeLessThan(all);
      await journey.check({
        name: 'appliances-filter',
        main: main().getByRole('link', { name: /OpenSMTPD Mail Relay/ }),
      });
      journey.done();
    });

    it('provisions an appliance to a started instance', async () => {
      await go('/catalog/default/resource/sample.webserv.1.1.0-0');
      await main()
        .getByRole('button', { name: /^provision$/i })
        .click();
      const hostnameField = main().getByRole('textbox', { name: /hostname/i });
      await journey.check({ name: 'provision-appliance', main: hostnameField });
      await hostnameField.fill(hostname);
      await button('Next').click();
      const domainField = main().getByRole('textbox', { name: /domain/i });
      await main()
        .getByText(/asks for no variables/)
        .waitFor({ timeout: 30_000 });
      await journey.check({ name: 'provision-values', main: domainField });
      await domainField.fill('lab.example.com');
      await button('Next').click();
      await journey.check({ name: 'provision-size', main: button('Next') });
      await button('Next').click();
      await main()
        .getByText(/^On .+ an hour/)
        .waitFor({ timeout: 60_000 });
      // The sample channel's ingest set the market average moments after start.
      await page.getByTestId('market-average').waitFor({ timeout: 10_000 });
      await journey.check({ name: 'provision-price', main: button('Review') });
      await button('Review').click();
      await journey.check({ name: 'provision-review', main: button('Create') });
      await button('Create').click();
      const toInstance = main().getByRole('link', {
        name: 'Instance in the catalog',
      });
      await toInstance.waitFor({ timeout: 180_000 });
      await journey.check({ name: 'provision-done', main: toInstance });
      await toInstance.click();
      const stop = main().getByRole('button', { name: `Stop ${hostname}` });
      await untilCatalogued(stop);
      await journey.check({
        name: 'instance-entity',
        main: stop,
        expectedFailures: [/\/api\/catalog\/entities\/by-name\//],
      });
      await expect(
        main().getByText('started').count(),
      ).resolves.toBeGreaterThan(0);
      journey.done();
    });

    it("opens the instance's console from My instances", async () => {
      await go('/appliances/instances');
      await button(`Console of ${hostname}`).click();
      await page
        .getByRole('status')
        .filter({ hasText: /^Connected/ })
        .waitFor({ timeout: 60_000 });
      // The simulated driver's display draws colour bars: once noVNC has drawn
      // the framebuffer, the canvas holds several colours, not one background.
      const canvas = page.getByTestId('console-screen').locator('canvas');
      let colours = 0;
      for (let i = 0; i < 30 && colours < 4; i++) {
        colours = await canvas.evaluate(el => {
          const c = el as HTMLCanvasElement;
          const data = c
            .getContext('2d')!
            .getImageData(0, 0, c.width, c.height).data;
          const seen = new Set<number>();
          for (let p = 0; p < data.length; p += 4 * 97)
            seen.add((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]);
          return seen.size;
        });
        if (colours < 4) await page.waitForTimeout(500);
      }
      expect(colours).toBeGreaterThanOrEqual(4);
      await journey.check({ name: 'console', main: button('Close') });
      await button('Close').click();
      journey.done();
    });

    it("shows the team's costs and tops the account up with the template", async () => {
      await go('/appliances/costs');
      const exportCsv = button('Export ledger as CSV');
      await exportCsv.waitFor({ timeout: 30_000 });
      // The embedded default bills one-minute periods: the new instance is charged at once.
      await main().getByText(hostname).first().waitFor({ timeout: 90_000 });
      await journey.check({ name: 'costs', main: exportCsv });

      await go('/create/templates/default/top-up-account');
      const owner = main().getByRole('textbox', { name: /account of/i });
      await journey.check({ name: 'top-up', main: owner });
      await owner.click();
      await page
        .getByRole('option', { name: /tempest-admins/i })
        .first()
        .click();
      await main()
        .getByRole('textbox', { name: /amount/i })
        .fill('25.00');
      await main()
        .getByRole('textbox', { name: /external reference/i })
        .fill(`INV-${hostname}`);
      await button('Review').click();
      await journey.check({ name: 'top-up-review', main: button('Create') });
      await button('Create').click();
      const result = main().getByText(/The balance is now/);
      await result.waitFor({ timeout: 60_000 });
      await expect(result.textContent()).resolves.toMatch(
        /The balance is now €\d[\d,]*\.\d{2}/,
      );
      await journey.check({ name: 'top-up-done', main: result });
      journey.done();
    });

    it('stops and starts the instance from My instances', async () => {
      await go('/appliances/instances');
      const stop = button(`Stop ${hostname}`);
      await journey.check({ name: 'my-instances', main: stop });
      await stop.click();
      const start = button(`Start ${hostname}`);
      await start.waitFor();
      await journey.check({ name: 'my-instances-stopped', main: start });
      await start.click();
      await stop.waitFor();
      journey.done();
    });

    it('suspends the instance with the Power template', async () => {
      await go('/create/templates/default/power-instance');
      const instance = main().getByRole('textbox', { name: /instance/i });
      await journey.check({ name: 'power-instance', main: instance });
      // With one instance the picker chooses it itself.
      if (await instance.isEnabled()) {
        await instance.click();
        await page.getByRole('option', { name: new RegExp(hostname) }).click();
      }
      await expect(instance.inputValue()).resolves.toContain(hostname);
      await main()
        .getByRole('button', { name: /action/i })
        .click();
      await page.getByRole('option', { name: 'suspend' }).click();
      await button('Review').click();
      await journey.check({ name: 'power-review', main: button('Create') });
      await button('Create').click();
      const result = main().getByText('The instance is now suspended');
      await result.waitFor({ timeout: 120_000 });
      await journey.check({ name: 'power-done', main: result });
      journey.done();
    });

    it('moves the stopped instance to another host and follows the move', async () => {
      await go('/appliances/instances');
      // A suspended instance is stopped before it can be moved or deleted.
      const stop = button(`Stop ${hostname}`);
      await journey.check({ name: 'my-instances-suspended', main: stop });
      await stop.click();
      const migrate = button(`Migrate ${hostname}`);
      await migrate.waitFor({ timeout: 60_000 });
      await migrate.click();
      // The hosts have loaded once the price the instance keeps shows.
      await page
        .getByText(/keeps its price: €\d+\.\d{2} per hour/)
        .waitFor({ timeout: 30_000 });
      const move = button(`Move ${hostname}`);
      await expect(move.isEnabled()).resolves.toBe(true);
      await journey.check({ name: 'migrate-dialog', main: move });
      await move.click();
      const moved = main().getByText(new RegExp(`${hostname} is on .+ now`));
      await moved.waitFor({ timeout: 120_000 });
      await journey.check({ name: 'migrate-done', main: moved });
      journey.done();
    });

    it('deletes the instance from My instances', async () => {
      await go('/appliances/instances');
      const del = button(`Delete ${hostname}`);
      await del.waitFor({ timeout: 60_000 });
      await del.click();
      const really = button(`Really delete ${hostname}`);
      await journey.check({ name: 'delete-confirm', main: really });
      await really.click();
      await main()
        .getByRole('link', { name: hostname })
        .waitFor({ state: 'detached', timeout: 120_000 });
      await journey.check({
        name: 'my-instances-deleted',
        main: main().getByRole('button', { name: 'Provision appliance' }),
      });
      journey.done();
    });

    it('lists the finished provisioning', async () => {
      await go('/appliances/operations');
      await journey.check({
        name: 'provisioning',
        main: main().getByRole('link', { name: hostname }),
      });
      journey.done();
    });

    it('subscribes a channel', async () => {
      await go('/appliances/channels');
      const subscribe = button('Subscribe');
      await journey.check({
        name: 'channels',
        main: main().getByText('Subscribe a channel'),
      });
      const key = fs.readFileSync(
        path.join(
          repoRoot,
          'catalog/channels/TEST-ONLY-signing-key/public-key.TEST-ONLY.asc',
        ),
        'utf8',
      );
      const channelId = `mirror-${Date.now().toString(36)}`;
      await main().getByRole('textbox', { name: 'Id' }).fill(channelId);
      await main()
        .getByRole('textbox', { name: 'Feed URL' })
        .fill(
          `${portal.backendUrl}/api/appliances/static/channels/sample/feed.xml`,
        );
      await main()
        .getByRole('textbox', { name: 'Owner' })
        .fill('group:default/tempest-admins');
      await main()
        .getByRole('textbox', { name: /Trusted OpenPGP/ })
        .fill(key);
      await subscribe.click();
      const subscribed = main().getByText(channelId, { exact: true });
      await subscribed.first().waitFor();
      await subscribed.first().scrollIntoViewIfNeeded();
      await journey.check({ name: 'channels-subscribed', main: subscribed });
      journey.done();
    });

    it('registers a host and shows its enrolment command', async () => {
      await go('/create/templates/default/register-host');
      const name = main().getByRole('textbox', { name: /host name/i });
      await journey.check({ name: 'register-host', main: name });
      await name.fill(hostName);
      await main()
        .getByRole('textbox', { name: /cpu model/i })
        .fill('EPYC 7313');
      await main()
        .getByRole('spinbutton', { name: /core speed/i })
        .fill('3000');
      await main()
        .getByRole('spinbutton', { name: /^cores/i })
        .fill('16');
      await main()
        .getByRole('spinbutton', { name: /memory/i })
        .fill('65536');
      await main()
        .getByRole('spinbutton', { name: /storage/i })
        .fill('1000000');
      await main()
        .getByRole('textbox', { name: /agent url/i })
        .fill(`https://${hostName}.example.net:7443`);
      await button('Next').click();
      await journey.check({
        name: 'register-host-prices',
        main: button('Next'),
      });
      await button('Next').click();
      await journey.check({
        name: 'register-host-units',
        main: button('Next'),
      });
      await button('Next').click();
      await button('Review').click();
      await journey.check({
        name: 'register-host-review',
        main: button('Create'),
      });
      await button('Create').click();
      const command = main().getByText(/tempest-agent enroll/);
      await command.waitFor({ timeout: 120_000 });
      await journey.check({
        name: 'register-host-done',
        main: main().getByRole('button', { name: /copy/i }),
      });
      await go('/appliances/hosts');
      await journey.check({
        name: 'my-hosts',
        main: main().getByRole('link', { name: hostName }),
      });
      await main().getByRole('link', { name: hostName }).click();
      await untilCatalogued(main().getByText(`Host ${hostName}`));
      await journey.check({
        name: 'host-entity',
        main: main().getByText(`Host ${hostName}`),
        expectedFailures: [/\/api\/catalog\/entities\/by-name\//],
      });
      journey.done();
    });

    it('powers a switched-off host back on when provisioning needs it', async () => {
      const api = await guestApi(portal.backendUrl);
      const simHosts = async () =>
        (await api.get('/hosts')).items.filter((h: { name: string }) =>
          h.name.startsWith('sim-host'),
        );
      // The embedded default switches an empty host off after two minutes.
      const off = await waitFor(
        'an idle host to be switched off',
        async () =>
          (await simHosts()).find(
            (h: { power: { state: string } }) => h.power.state === 'off',
          ),
        300_000,
        2000,
      );
      // One appliance as large as a host for each simulated host: the last
      // one fits only on the host that is off.
      const hosts = await simHosts();
      const accepted = await Promise.all(
        hosts.map(
          async (h: { cpuCores: number; memoryMb: number }, i: number) => {
            const res = await api.post('/instances', {
              applianceId: 'sample.webserv.1.1.0-0',
              hostname: `${hostname}-large-${i}`,
              size: {
                cpuCores: h.cpuCores,
                memoryMb: h.memoryMb,
                storageMb: 20480,
              },
            });
            expect(res.status).toBe(202);
            return (await res.json()) as { operationId: string };
          },
        ),
      );
      const operations = await Promise.all(
        accepted.map(a =>
          waitFor(
            'the large appliances to start',
            async () => {
              const op = await api.get(`/operations/${a.operationId}`);
              if (op.state === 'failed')
                throw new Error(`provisioning failed: ${JSON.stringify(op)}`);
              return op.state === 'succeeded' ? op : undefined;
            },
            240_000,
            2000,
          ),
        ),
      );
      const poweredOn = operations.find(op =>
        op.steps.some(
          (s: { name: string; detail?: { poweredOn?: boolean } }) =>
            s.name === 'power-on' && s.detail?.poweredOn,
        ),
      );
      expect(poweredOn).toBeDefined();

      await go(`/appliances/operations/${poweredOn.id}`);
      const said = main().getByText(
        new RegExp(`${off.name} powered on over IPMI`),
      );
      await said.waitFor({ timeout: 30_000 });
      await journey.check({ name: 'operation-powered-on', main: said });
      await go('/appliances/hosts');
      const row = main().getByRole('row', { name: new RegExp(off.name) });
      await row.getByText('power on').waitFor({ timeout: 60_000 });
      // Which host went off depends on timing; the fourth row is below the fold, and a person scrolls to it.
      await row.scrollIntoViewIfNeeded();
      await journey.check({ name: 'my-hosts-powered-on', main: row });
      journey.done();
    });
  },
);
