import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createTopUpAccountAction } from './topUpAccount';

const account = {
  id: 'acc-1',
  owner: 'group:default/team-a',
  currency: 'EUR',
  balanceMinor: 1000,
  spendPerHourMinor: 0,
  createdAt: '2026-12-02T10:00:00Z',
};
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

function setup() {
  const calls: Array<{ url: string; method: string; body?: any }> = [];
  const used = new Set<string>();
  const fetchMock = jest.fn(async (url: string, init?: RequestInit) => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ url, method: init?.method ?? 'GET', body });
    if (url.endsWith('/accounts')) return json({ items: [account] });
    const created = !used.has(body.reference);
    used.add(body.reference);
    return json({
      transactionId: 7,
      created,
      account: { ...account, balanceMinor: 1000 + body.amountMinor },
    });
  });
  const action = createTopUpAccountAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    fetch: fetchMock as any,
  });
  return { action, calls };
}

describe('appliances:account:top-up', () => {
  it('credits the amount written in currency units, in minor units, with the reference', async () => {
    const { action, calls } = setup();
    const ctx = createMockActionContext({
      input: { owner: 'group:team-a', amount: '25.50', reference: 'INV-1' },
    });
    await action.handler(ctx as any);
    expect(calls[1]).toMatchObject({
      method: 'POST',
      body: { amountMinor: 2550, reference: 'INV-1' },
    });
    expect(calls[1].url).toMatch(/\/accounts\/acc-1\/top-ups$/);
    expect(ctx.output).toHaveBeenCalledWith('balance', '€35.50');
    expect(ctx.output).toHaveBeenCalledWith('created', true);
  });

  it('refuses an amount the currency cannot hold and an owner without an account, as sentences', async () => {
    const { action } = setup();
    await expect(
      action.handler(
        createMockActionContext({
          input: { owner: 'group:team-a', amount: '1.234', reference: 'x' },
        }) as any,
      ),
    ).rejects.toThrow("'1.234' is not a positive amount of EUR");
    await expect(
      action.handler(
        createMockActionContext({
          input: { owner: 'group:team-z', amount: '1', reference: 'x' },
        }) as any,
      ),
    ).rejects.toThrow(/group:default\/team-z has no account yet/);
  });

  it('changes nothing in a dry run', async () => {
    const { action, calls } = setup();
    const ctx = createMockActionContext({
      input: { owner: 'group:team-a', amount: '5', reference: 'INV-2' },
    });
    ctx.isDryRun = true;
    await action.handler(ctx as any);
    expect(calls.map(c => c.method)).toEqual(['GET']);
  });
});
