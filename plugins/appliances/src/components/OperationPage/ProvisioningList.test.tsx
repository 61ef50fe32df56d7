import { screen } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { ProvisioningList } from './ProvisioningList';

const instance = (over: Record<string, unknown>) => ({
  id: 'i',
  hostname: 'h',
  owner: 'user:default/guest',
  applianceId: 'sample.dns.1',
  allowedActions: [],
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  version: 1,
  entityRef: 'resource:default/h',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
  ...over,
});

function backend(
  byState: Record<string, unknown[]>,
  operationStates: Record<string, string> = {},
) {
  return async (url: string) => {
    const { pathname, searchParams } = new URL(url);
    const op = /\/operations\/(.+)$/.exec(pathname);
    if (op) {
      // `migrate:succeeded` is a move's; a bare state a provisioning's.
      const [kind, state] = operationStates[op[1]].includes(':')
        ? operationStates[op[1]].split(':')
        : ['provision', operationStates[op[1]]];
      return json({ id: op[1], kind, state, steps: [] });
    }
    const items = byState[searchParams.get('state') ?? ''] ?? [];
    return json({ items, totalCount: items.length });
  };
}

const render = (fetch: ReturnType<typeof backend>) =>
  renderPage(<ProvisioningList />, fetch);

describe('ProvisioningList', () => {
  it('lists provisionings and moves under way, failed and finished (deleted instances too), each linking to its live view', async () => {
    const fetch = backend(
      {
        '': [
          instance({
            id: 'a',
            hostname: 'dns-1',
            state: 'provisioning',
            operationId: 'op-a',
            createdAt: '2026-11-24T12:00:00Z',
          }),
          instance({
            id: 'b',
            hostname: 'web-2',
            state: 'error',
            operationId: 'op-b',
            error: 'start failed: no room',
            createdAt: '2026-11-24T11:00:00Z',
          }),
          // In error after a later action: its provisioning finished.
          instance({
            id: 'c',
            hostname: 'old-3',
            state: 'error',
            operationId: 'op-c',
            error: 'stop refused',
            createdAt: '2026-11-24T10:00:00Z',
          }),
          // Moved since it was provisioned: its move is its latest operation.
          instance({
            id: 'f',
            hostname: 'moved-6',
            state: 'stopped',
            operationId: 'op-f',
            createdAt: '2026-11-24T09:30:00Z',
          }),
          // Registered by hand, never provisioned: not listed.
          instance({ id: 'd', hostname: 'manual-4', state: 'stored' }),
        ],
        deleted: [
          instance({
            id: 'e',
            hostname: 'gone-5',
            state: 'deleted',
            operationId: 'op-e',
            createdAt: '2026-11-24T09:00:00Z',
          }),
        ],
      },
      {
        'op-a': 'running',
        'op-b': 'failed',
        'op-c': 'succeeded',
        'op-e': 'succeeded',
        'op-f': 'migrate:succeeded',
      },
    );
    await render(fetch);
    expect(await screen.findByText('dns-1')).toBeInTheDocument();
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(/^dns-1provisioning under way/),
      expect.stringMatching(/^web-2provisioning failed.*start failed: no room/),
      expect.stringMatching(/^old-3provisioning finished/),
      expect.stringMatching(/^moved-6move finished/),
      expect.stringMatching(/^gone-5provisioning finished/),
    ]);
    expect(
      screen.getByText('dns-1').closest('a')?.getAttribute('href'),
    ).toMatch(/op-a$/);
    expect(
      screen.getByText('gone-5').closest('a')?.getAttribute('href'),
    ).toMatch(/op-e$/);
    expect(screen.queryByText('stop refused')).not.toBeInTheDocument();
    expect(screen.queryByText('manual-4')).not.toBeInTheDocument();
  });

  it('says where to start when nothing was provisioned', async () => {
    await render(backend({}));
    expect(
      await screen.findByText(/Nothing has been provisioned yet/),
    ).toBeInTheDocument();
  });
});
