import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
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
    name: 'install-images',
    ...install,
    detail: {
      current: {
        kind: 'appliance',
        name: 'webserv',
        version: '1.1.0',
        receivedBytes: 3145728,
        speedBytesPerSecond: 2097152,
      },
    },
  },
  { name: 'create-disk', state: after, progress: after === 'done' ? 1 : 0 },
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
    });
    expect(await screen.findByText(/3.0 MiB · 2.0 MiB\/s/)).toBeInTheDocument();
    expect(screen.getByText('40%')).toBeInTheDocument();
    expect(
      screen.getByText(/Chose sim-host-2: best fit of 2/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/maintenance: host is maintenance/),
    ).toBeInTheDocument();
    finished = true;
    expect(
      await screen.findByText('resource:default/web-1'),
    ).toBeInTheDocument();
    expect(screen.getByText('€12.34 per hour')).toBeInTheDocument();
    expect(screen.getAllByText('100%')).toHaveLength(7);
  });
});
