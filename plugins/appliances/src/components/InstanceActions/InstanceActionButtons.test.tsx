import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { fireEvent, screen } from '@testing-library/react';
import type { Instance } from '../../hosting/hostingApi';
import { InstanceActionButtons } from './InstanceActionButtons';

const instance: Instance = {
  id: 'i1',
  hostname: 'web-1',
  owner: 'user:default/ann',
  applianceId: 'sample.web.1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  state: 'started',
  version: 3,
  allowedActions: ['stop', 'suspend'],
  entityRef: 'resource:default/web-1',
  addresses: [],
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

async function render(reply: Response, shown = instance) {
  const fetchApi = {
    fetch: jest.fn(async (_url: string, _init?: RequestInit) => reply),
  };
  const onChanged = jest.fn();
  await renderInTestApp(
    <InstanceActionButtons instance={shown} onChanged={onChanged} />,
    {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, fetchApi as any],
      ],
    },
  );
  return { fetchApi, onChanged };
}

describe('InstanceActionButtons', () => {
  it('offers only the allowed actions and sends the version it showed', async () => {
    const { fetchApi, onChanged } = await render(
      json({ instance: { ...instance, state: 'stopped', version: 4 } }),
    );
    expect(
      screen.queryByRole('button', { name: /Start web-1/ }),
    ).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Stop web-1' }));
    await screen.findByRole('button', { name: 'Stop web-1' });
    await new Promise(r => setTimeout(r, 0));
    const [url, init] = fetchApi.fetch.mock.calls[0];
    expect(url).toBe('http://backend/api/appliances/instances/i1/actions');
    expect(JSON.parse(String(init!.body))).toEqual({
      action: 'stop',
      expectedVersion: 3,
    });
    expect(onChanged).toHaveBeenCalledWith(
      expect.objectContaining({ state: 'stopped', version: 4 }),
    );
  });

  it('explains a 409 for a stale view and reloads', async () => {
    const { onChanged } = await render(
      json(
        {
          error: {
            name: 'ConflictError',
            message:
              'Instance web-1 is at version 5 (stopped), not 3: reload and try again',
          },
          reason: 'stale-version',
          currentState: 'stopped',
          currentVersion: 5,
          allowedActions: ['start', 'delete'],
        },
        409,
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Suspend web-1' }));
    expect(
      await screen.findByText(
        /Someone changed this instance since you loaded it: it is now stopped\./,
      ),
    ).toBeInTheDocument();
    expect(onChanged).toHaveBeenCalledWith();
  });

  it('shows why the agent refused', async () => {
    await render(
      json(
        {
          error: {
            name: 'ConflictError',
            message:
              'The agent refused: suspend domain: DOMAIN_STATE_CONFLICT: not running; the instance stays started',
          },
          reason: 'agent-refused',
          currentState: 'started',
          currentVersion: 5,
          allowedActions: ['stop', 'suspend'],
        },
        409,
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Suspend web-1' }));
    expect(
      await screen.findByText(
        /DOMAIN_STATE_CONFLICT: not running; the instance stays started/,
      ),
    ).toBeInTheDocument();
  });

  it('asks before deleting, then deletes', async () => {
    const { fetchApi } = await render(
      json({ instance: { ...instance, state: 'deleting', version: 4 } }),
      { ...instance, allowedActions: ['delete'] },
    );
    fireEvent.click(screen.getByRole('button', { name: 'Delete web-1' }));
    expect(fetchApi.fetch).not.toHaveBeenCalled();
    fireEvent.click(
      await screen.findByRole('button', { name: 'Really delete web-1' }),
    );
    await new Promise(r => setTimeout(r, 0));
    expect(JSON.parse(String(fetchApi.fetch.mock.calls[0][1]!.body))).toEqual({
      action: 'delete',
      expectedVersion: 3,
    });
  });
});
