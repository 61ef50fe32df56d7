import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { OperationView } from './OperationView';

const steps = (install: { state: string; progress: number }, after: string) => [
  {
    name: 'place',
    state: 'done',
    progress: 1,
    detail: { decision: { summary: 'Chose sim-host-2: best fit of 3' } },
  },
  {
    name: 'reserve-capacity',
    state: 'done',
    progress: 1,
    detail: { hostName: 'sim-host-2' },
  },
  {
    name: 'power-on',
    state: 'done',
    progress: 1,
    detail: {
      hostName: 'sim-host-2',
      poweredOn: true,
      waitedSeconds: 4,
      tried: [],
    },
  },
  {
    name: 'install-images',
    ...install,
    detail: {
      current: {
        kind: 'appliance',
        name: 'webserv',
        version: '1.1.0',
        receivedBytes: 3145728,
        totalBytes: 7864320,
        speedBytesPerSecond: 2097152,
      },
    },
  },
  {
    name: 'create-disk',
    state: after === 'done' ? 'done' : 'running',
    progress: after === 'done' ? 1 : 0.5,
    detail: {
      disk: 'i-1',
      sizeGiB: 20,
      volumes: [{ name: 'hda3', role: 'swap', sizeMiB: 128 }],
      ...(after === 'done'
        ? {}
        : { current: { name: 'hda2', role: 'user', sizeMiB: 1024 } }),
    },
  },
  { name: 'define', state: after, progress: after === 'done' ? 1 : 0 },
  { name: 'start', state: after, progress: after === 'done' ? 1 : 0 },
  { name: 'publish', state: after, progress: after === 'done' ? 1 : 0 },
];

describe('OperationView', () => {
  it('follows the operation live with download speed and shows the placement reason', async () => {
    let finished = false;
    const fetchApi = {
      fetch: jest.fn(async (url: string) => {
        const json = (body: unknown) =>
          new Response(JSON.stringify(body), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          });
        if (url.includes('/operations/')) {
          return json({
            id: 'op1',
            instanceId: 'i1',
            state: finished ? 'succeeded' : 'running',
            steps: finished
              ? steps({ state: 'done', progress: 1 }, 'done')
              : steps({ state: 'running', progress: 0.4 }, 'pending'),
          });
        }
        return json({
          id: 'i1',
          hostname: 'web-1',
          applianceId: 'sample.webserv.1.1.0-0',
          state: finished ? 'started' : 'provisioning',
          hostName: 'sim-host-2',
          size: { cpuCores: 2, memoryMb: 2048, storageMb: 20480 },
          price: { pricePerHourMinor: 1234 },
          entityRef: 'resource:default/web-1',
          placement: {
            summary:
              'Chose sim-host-2: best fit of 2 fitting host(s), score 0.412',
            candidates: 2,
            rejected: [
              {
                hostId: 'h3',
                hostName: 'sim-host-3',
                reason: 'maintenance',
                detail: 'host is maintenance',
              },
            ],
          },
        });
      }),
    };
    await renderInTestApp(<OperationView operationId="op1" pollMs={10} />, {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, fetchApi as any],
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    // The download: how much of how much, how fast, how long still, and a bar of its own.
    expect(
      await screen.findByText(
        'appliance webserv 1.1.0: 3.0 of 7.5 MiB at 2.0 MiB/s, about 3 s left',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('40% · 2.0 MiB/s')).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'appliance webserv download' }),
    ).toHaveAttribute('aria-valuenow', '40');
    // Disk creation, disk by disk.
    expect(
      screen.getByText(
        'instance disk i-1 20 GiB with its seed, swap disk hda3 128 MiB',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('creating the user disk hda2 1 GiB'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'create-disk progress' }),
    ).toHaveAttribute('aria-valuenow', '50');
    expect(
      screen.getByText(/Chose sim-host-2: best fit of 2/),
    ).toBeInTheDocument();
    // Placement chose a powered-off host: the step says it was powered on.
    expect(
      screen.getByText(
        'sim-host-2 powered on over IPMI; its agent answered after 4 s',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/maintenance: host is maintenance/),
    ).toBeInTheDocument();
    finished = true;
    // The instance card links the instance, its host and its appliance, not raw refs.
    expect(await screen.findByRole('link', { name: 'web-1' })).toHaveAttribute(
      'href',
      '/catalog/default/resource/web-1',
    );
    expect(screen.getByRole('link', { name: 'sim-host-2' })).toHaveAttribute(
      'href',
      '/catalog/default/resource/sim-host-2.host',
    );
    expect(
      screen.queryByText('resource:default/web-1'),
    ).not.toBeInTheDocument();
    expect(screen.getByText('€12.34 per hour')).toBeInTheDocument();
    expect(
      screen.getByText('2 cores, 2,048 MB memory, 20,480 MB storage'),
    ).toBeInTheDocument();
    expect(screen.getAllByText('100%')).toHaveLength(8);
  });
});
