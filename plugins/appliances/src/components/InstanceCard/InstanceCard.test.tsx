import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { InstanceCard, describeEvent } from './InstanceCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'web-1', annotations: { 'tempest.dev/instance-id': 'i1' } },
  spec: { type: 'appliance-instance', owner: 'user:default/ann' },
};

describe('InstanceCard', () => {
  it('shows the state, the allowed actions and the history', async () => {
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    const fetchApi = {
      fetch: jest.fn(async (url: string) =>
        url.endsWith('/events?limit=15')
          ? json({
              items: [
                {
                  id: 2,
                  instanceId: 'i1',
                  at: '2026-11-24T10:05:00Z',
                  actor: 'system:reconciler',
                  kind: 'reconcile',
                  fromState: 'started',
                  toState: 'stopped',
                  version: 3,
                  outcome: 'succeeded',
                  message:
                    'Recorded started, the agent reports the domain shutoff',
                },
                {
                  id: 1,
                  instanceId: 'i1',
                  at: '2026-11-24T10:00:00Z',
                  actor: 'user:default/ann',
                  kind: 'provision',
                  fromState: 'provisioning',
                  toState: 'started',
                  version: 2,
                  outcome: 'succeeded',
                },
              ],
            })
          : json({
              id: 'i1',
              hostname: 'web-1',
              owner: 'user:default/ann',
              applianceId: 'sample.web.1',
              hostName: 'rack1',
              size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
              state: 'stopped',
              version: 3,
              allowedActions: ['start', 'delete'],
              entityRef: 'resource:default/web-1',
              domain: 'lab.example.com',
              sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza ann@laptop'],
              variables: { SITE_TITLE: 'Welcome' },
              secretVariables: ['ADMIN_PASSWORD'],
              createdAt: '2026-11-24T10:00:00Z',
              updatedAt: '2026-11-24T10:05:00Z',
            }),
      ),
    };
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <InstanceCard />
      </EntityProvider>,
      {
        apis: [
          [
            discoveryApiRef,
            { getBaseUrl: async () => 'http://backend/api/appliances' },
          ],
          [fetchApiRef, fetchApi as any],
        ],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
    expect(await screen.findByText('Instance web-1')).toBeInTheDocument();
    // The values it was given, a secret by name only.
    expect(screen.getByText('web-1.lab.example.com')).toBeInTheDocument();
    expect(screen.getByText('ann@laptop')).toBeInTheDocument();
    expect(
      screen.getByText('SITE_TITLE=Welcome, ADMIN_PASSWORD (secret)'),
    ).toBeInTheDocument();
    // The host and the appliance link to their entity pages.
    expect(screen.getByText('rack1').closest('a')?.getAttribute('href')).toBe(
      '/catalog/default/resource/rack1.host',
    );
    expect(
      screen.getAllByRole('link').map(a => a.getAttribute('href')),
    ).toContain('/catalog/default/resource/sample.web.1');
    expect(
      screen.getByRole('button', { name: 'Start web-1' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Delete web-1' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Stop web-1' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(
        /reconcile: started → stopped \(v3\) by system:reconciler/,
      ),
    ).toBeInTheDocument();
  });

  it('describes refusals and failures', () => {
    expect(
      describeEvent({
        id: 3,
        instanceId: 'i1',
        at: '',
        actor: 'user:default/bob',
        kind: 'denied',
        action: 'stop',
        fromState: 'stopped',
        version: 2,
        outcome: 'refused',
      }),
    ).toBe('stop refused in stopped (v2) by user:default/bob');
    expect(
      describeEvent({
        id: 4,
        instanceId: 'i1',
        at: '',
        actor: 'user:default/ann',
        kind: 'action',
        action: 'suspend',
        fromState: 'suspended',
        toState: 'started',
        version: 5,
        outcome: 'failed',
      }),
    ).toBe('suspend: suspended → started (v5) — failed by user:default/ann');
  });
});
