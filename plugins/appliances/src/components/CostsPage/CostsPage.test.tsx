import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { mockApis } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { CostsPage } from './CostsPage';

const account = {
  id: 'acc-1',
  owner: 'group:default/team-a',
  currency: 'EUR',
  balanceMinor: 49980,
  spendPerHourMinor: 1200,
  createdAt: '2026-12-02T10:00:00Z',
  provisioningRefused: false,
};
const at = (minute: number) =>
  new Date(Date.UTC(2026, 11, 2, 10, minute)).toISOString();

/** The page with its own permission cache (usePermission's SWR cache is module-wide). */
const withPermission = (
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
) => ({
  element: (
    <SWRConfig value={{ provider: () => new Map() }}>
      <CostsPage />
    </SWRConfig>
  ),
  extraApis: [[permissionApiRef, mockApis.permission({ authorize: result })]],
});

const charge = {
  transactionId: 3,
  kind: 'running',
  instanceId: 'i1',
  instanceHostname: 'lb-bill',
  amountMinor: -1500,
  at: at(1),
};
const topUp = {
  transactionId: 1,
  kind: 'top-up',
  reference: 'starting-balance',
  amountMinor: 50000,
  at: at(0),
};

describe('CostsPage', () => {
  it('shows the balance, spend per hour and cost per instance in money, and the chart', async () => {
    const { fetchApi } = await renderPage(<CostsPage />, async url => {
      if (url.endsWith('/accounts')) return json({ items: [account] });
      if (url.endsWith('/income-by-host')) return json({ items: [] });
      if (url.includes('/ledger'))
        return json({
          items: [
            {
              transactionId: 3,
              kind: 'running',
              instanceId: 'i1',
              instanceHostname: 'lb-bill',
              amountMinor: -15,
              at: at(1),
            },
            {
              transactionId: 2,
              kind: 'storage',
              instanceId: 'i1',
              instanceHostname: 'lb-bill',
              amountMinor: -5,
              at: at(0),
            },
            {
              transactionId: 1,
              kind: 'top-up',
              reference: 'starting-balance',
              amountMinor: 50000,
              at: at(0),
            },
          ],
        });
      throw new Error(`unexpected ${url}`);
    });
    expect(await screen.findByText('€499.80')).toBeInTheDocument();
    expect(screen.getByText('€12.00 per hour')).toBeInTheDocument();
    expect(
      await screen.findByText('Cost per instance to date'),
    ).toBeInTheDocument();
    expect(await screen.findAllByText('lb-bill')).not.toHaveLength(0);
    expect(screen.getByText('€0.20')).toBeInTheDocument();
    expect(screen.getByLabelText('Spend over time chart')).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/minor/i);
    expect(fetchApi.fetch.mock.calls.map(c => c[0])).toContain(
      'http://backend/api/appliances/accounts/acc-1/ledger?limit=500',
    );
  });

  it('names a deleted instance by the hostname its ledger lines carry, without listing instances', async () => {
    const { fetchApi } = await renderPage(<CostsPage />, async url => {
      if (url.endsWith('/accounts')) return json({ items: [account] });
      if (url.endsWith('/income-by-host')) return json({ items: [] });
      if (url.includes('/ledger'))
        return json({
          items: [
            {
              transactionId: 9,
              kind: 'storage',
              instanceId: '5f0c2d4e-0000-4000-8000-000000000001',
              instanceHostname: 'db-deleted',
              amountMinor: -30,
              at: at(2),
            },
          ],
        });
      throw new Error(`unexpected ${url}`);
    });
    expect(
      await screen.findByText('Storage of db-deleted'),
    ).toBeInTheDocument();
    expect(screen.getAllByText('db-deleted')).toHaveLength(1);
    expect(document.body.textContent).not.toContain('5f0c2d4e');
    expect(
      fetchApi.fetch.mock.calls.some(c => String(c[0]).includes('/instances')),
    ).toBe(false);
  });

  it("shows a provider's income per host in money", async () => {
    const provider = {
      ...account,
      id: 'acc-p',
      owner: 'user:default/pat',
      balanceMinor: 1234,
      spendPerHourMinor: 0,
    };
    await renderPage(<CostsPage />, async url => {
      if (url.endsWith('/accounts')) return json({ items: [provider] });
      if (url.endsWith('/accounts/acc-p/income-by-host'))
        return json({
          items: [
            {
              hostId: 'h2',
              hostName: 'rack2',
              instances: 3,
              incomeMinor: 120050,
            },
            { hostId: 'h1', hostName: 'rack1', instances: 1, incomeMinor: 7 },
          ],
        });
      if (url.includes('/ledger')) return json({ items: [] });
      throw new Error(`unexpected ${url}`);
    });
    const table = await screen.findByRole('table', {
      name: 'Income per host to date',
    });
    const rows = [...table.querySelectorAll('tbody tr')].map(r =>
      [...r.querySelectorAll('td')].map(c => c.textContent),
    );
    expect(rows).toEqual([
      ['rack2', '3', '€1,200.50'],
      ['rack1', '1', '€0.07'],
    ]);
    expect(document.body.textContent).not.toMatch(/minor/i);
  });

  it('shows a reversal, what it reverses, and costs net of it', async () => {
    await renderPage(<CostsPage />, async url => {
      if (url.endsWith('/accounts')) return json({ items: [account] });
      if (url.endsWith('/income-by-host')) return json({ items: [] });
      if (url.includes('/ledger'))
        return json({
          items: [
            {
              transactionId: 4,
              kind: 'reversal',
              instanceId: 'i1',
              instanceHostname: 'lb-bill',
              reversesTransactionId: 3,
              reason: 'charged twice',
              amountMinor: 1500,
              at: at(3),
            },
            {
              transactionId: 3,
              kind: 'running',
              instanceId: 'i1',
              instanceHostname: 'lb-bill',
              reversedByTransactionId: 4,
              amountMinor: -1500,
              at: at(1),
            },
            {
              transactionId: 2,
              kind: 'storage',
              instanceId: 'i1',
              instanceHostname: 'lb-bill',
              amountMinor: -5,
              at: at(0),
            },
          ],
        });
      throw new Error(`unexpected ${url}`);
    });
    expect(
      await screen.findByText('Reversal of #3 (lb-bill): charged twice'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Running of lb-bill — reversed by #4'),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', {
      name: 'Cost per instance to date',
    });
    expect(
      [...table.querySelectorAll('tbody td')].map(c => c.textContent),
    ).toEqual(['lb-bill', '€0.05']);
  });

  it('says when the zero-balance policy refuses provisioning', async () => {
    await renderPage(<CostsPage />, async url =>
      url.endsWith('/accounts')
        ? json({
            items: [
              { ...account, balanceMinor: -3, provisioningRefused: true },
            ],
          })
        : json({ items: [], totalCount: 0 }),
    );
    expect(await screen.findByText('-€0.03')).toBeInTheDocument();
    expect(
      screen.getByText(/new instances billed to this account are refused/),
    ).toBeInTheDocument();
  });

  it('offers no reversal to callers without the reverse permission', async () => {
    const { element, extraApis } = withPermission(AuthorizeResult.DENY);
    await renderPage(
      element,
      async url => {
        if (url.endsWith('/accounts')) return json({ items: [account] });
        if (url.endsWith('/income-by-host')) return json({ items: [] });
        if (url.includes('/ledger')) return json({ items: [charge, topUp] });
        throw new Error(`unexpected ${url}`);
      },
      { extraApis },
    );
    expect(await screen.findByText('Running of lb-bill')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Reverse/ }),
    ).not.toBeInTheDocument();
  });

  it('lets an admin reverse a line with a reason, then shows the reversal and the new balance', async () => {
    const { element, extraApis } = withPermission(AuthorizeResult.ALLOW);
    const posted: Array<{ url: string; body: unknown }> = [];
    const reversal = {
      transactionId: 4,
      kind: 'reversal',
      instanceId: 'i1',
      instanceHostname: 'lb-bill',
      reversesTransactionId: 3,
      reason: 'charged twice',
      amountMinor: 1500,
      at: at(3),
    };
    await renderPage(
      element,
      async (url, init) => {
        const done = posted.length > 0;
        if (init?.method === 'POST') {
          posted.push({ url, body: JSON.parse(String(init.body)) });
          return json({
            transactionId: 4,
            reversesTransactionId: 3,
            created: true,
            account: { ...account, balanceMinor: 51480 },
          });
        }
        if (url.endsWith('/accounts'))
          return json({
            items: [{ ...account, balanceMinor: done ? 51480 : 49980 }],
          });
        if (url.endsWith('/income-by-host')) return json({ items: [] });
        if (url.includes('/ledger'))
          return json({
            items: done
              ? [reversal, { ...charge, reversedByTransactionId: 4 }, topUp]
              : [charge, topUp],
          });
        throw new Error(`unexpected ${url}`);
      },
      { extraApis },
    );
    expect(
      await screen.findByRole('button', { name: 'Reverse #3' }),
    ).toBeInTheDocument();
    // Reversals and reversed lines have no action; the top-up does.
    expect(
      screen.getByRole('button', { name: 'Reverse #1' }),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Reverse #3' }));
    const dialog = screen.getByRole('dialog');
    const submit = within(dialog).getByRole('button', {
      name: 'Reverse transaction',
    });
    expect(submit).toBeDisabled();
    await userEvent.type(
      within(dialog).getByLabelText('Reason'),
      'charged twice',
    );
    await userEvent.click(submit);
    expect(
      await screen.findByText('Reversal of #3 (lb-bill): charged twice'),
    ).toBeInTheDocument();
    expect(posted).toEqual([
      {
        url: 'http://backend/api/appliances/accounts/acc-1/ledger/3/reversal',
        body: { reason: 'charged twice' },
      },
    ]);
    expect(await screen.findByText('€514.80')).toBeInTheDocument();
    expect(
      screen.getByText('Running of lb-bill — reversed by #4'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Reverse #3' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Reverse #4' }),
    ).not.toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('says in a sentence why a reversal failed, and keeps the dialog open', async () => {
    const { element, extraApis } = withPermission(AuthorizeResult.ALLOW);
    await renderPage(
      element,
      async (url, init) => {
        if (init?.method === 'POST')
          return json(
            {
              error: {
                name: 'NotAllowedError',
                message: 'Only admins may reverse ledger transactions',
              },
              response: { statusCode: 403 },
            },
            403,
          );
        if (url.endsWith('/accounts')) return json({ items: [account] });
        if (url.endsWith('/income-by-host')) return json({ items: [] });
        if (url.includes('/ledger')) return json({ items: [charge, topUp] });
        throw new Error(`unexpected ${url}`);
      },
      { extraApis },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Reverse #3' }),
    );
    const dialog = screen.getByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Reason'), 'oops');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reverse transaction' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      /Only admins may reverse ledger transactions/,
    );
    expect(dialog).not.toHaveTextContent(/403|\{/);
  });
});
