import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { INSTANCE_ID_ANNOTATION } from '../InstanceCard/InstanceCard';
import { CostCard } from './CostCard';

const account = {
  id: 'acc-1',
  owner: 'group:default/team-a',
  currency: 'EUR',
  balanceMinor: 320,
  spendPerHourMinor: 1200,
  createdAt: '2026-12-02T10:00:00Z',
  lowBalanceSince: '2026-12-02T11:00:00Z',
  provisioningRefused: false,
};

const entity = (
  annotations: Record<string, string> = {},
  kind = 'Resource',
) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: kind === 'Group' ? 'team-a' : 'web-1', annotations },
  spec: { type: 'appliance-instance', owner: 'group:default/team-a' },
});

function backend(a: object) {
  return async (url: string) => {
    if (url.endsWith('/accounts')) return json({ items: [a] });
    if (url.includes('/ledger'))
      return json({
        items: [
          {
            transactionId: 2,
            kind: 'running',
            instanceId: 'i1',
            amountMinor: -150,
            at: '2026-12-02T11:00:00Z',
          },
        ],
      });
    return json({
      id: 'i1',
      owner: 'user:default/ann',
      costCenter: 'group:default/team-a',
    });
  };
}

describe('CostCard', () => {
  it("shows an instance's cost to date, the account it is billed to, and that account's low balance", async () => {
    await renderPage(
      <EntityProvider entity={entity({ [INSTANCE_ID_ANNOTATION]: 'i1' })}>
        <CostCard />
      </EntityProvider>,
      backend(account),
    );
    expect(await screen.findByText('€1.50 to date')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Billed to group:default/team-a, whose balance is €3.20.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/That account's balance has been low since/),
    ).toBeInTheDocument();
  });

  it('says on a group page when new instances are refused at zero', async () => {
    await renderPage(
      <EntityProvider entity={entity({}, 'Group')}>
        <CostCard />
      </EntityProvider>,
      backend({ ...account, balanceMinor: -10, provisioningRefused: true }),
    );
    expect(await screen.findByText('-€0.10')).toBeInTheDocument();
    expect(
      screen.getByText(/new instances billed to this account are refused/),
    ).toBeInTheDocument();
  });
});
