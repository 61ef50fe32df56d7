import { screen } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { OperationView } from './OperationView';

const instance = (state: string, hostName: string) => ({
  id: 'i1',
  hostname: 'web-1',
  applianceId: 'sample.webserv.1.1.0-0',
  state,
  hostName,
  size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
  price: { pricePerHourMinor: 14 },
  entityRef: 'resource:default/web-1',
});

const GiB = 1073741824;

const place = {
  name: 'place',
  state: 'done',
  progress: 1,
  detail: {
    decision: {
      summary: 'Chose sim-host-2: best fit of 1 fitting host(s)',
      candidates: 2,
      rejected: [
        {
          hostId: 'h3',
          hostName: 'sim-host-3',
          reason: 'memory',
          detail: 'needs 512 MB more memory',
        },
      ],
      chosen: { hostId: 'h2', hostName: 'sim-host-2' },
    },
  },
};
const reserve = {
  name: 'reserve-capacity',
  state: 'done',
  progress: 1,
  detail: { hostId: 'h2', hostName: 'sim-host-2' },
};

function backend(operation: object, shown: object) {
  return async (url: string) =>
    url.includes('/operations/') ? json(operation) : json(shown);
}

describe('OperationView of a move', () => {
  it('names each step by what it does and follows the disk transfer', async () => {
    await renderPage(
      <OperationView operationId="op9" pollMs={60000} />,
      backend(
        {
          id: 'op9',
          kind: 'migrate',
          instanceId: 'i1',
          state: 'running',
          steps: [
            place,
            reserve,
            {
              name: 'install-images',
              state: 'done',
              progress: 1,
              detail: {
                layers: [
                  { kind: 'appliance', name: 'webserv', version: '1.1.0' },
                ],
              },
            },
            {
              name: 'export',
              state: 'done',
              progress: 1,
              detail: { exportId: 'x1', totalBytes: 2 * GiB, files: 2 },
            },
            {
              name: 'transfer',
              state: 'running',
              progress: 0.25,
              detail: {
                importId: 'm1',
                from: 'sim-host-1',
                to: 'sim-host-2',
                bytesDone: GiB / 2,
                bytesTotal: 2 * GiB,
                speedBytesPerSecond: 100 * 1048576,
              },
            },
            { name: 'define', state: 'pending', progress: 0 },
            { name: 'commit', state: 'pending', progress: 0 },
            { name: 'clean-up', state: 'pending', progress: 0 },
          ],
        },
        instance('migrating', 'sim-host-1'),
      ),
    );
    expect(await screen.findByText('Moving web-1')).toBeInTheDocument();
    for (const label of [
      'Choose the new host',
      'Reserve room on sim-host-2',
      'Install the image layers on sim-host-2',
      'Offer the disk from sim-host-1',
      'Pull the disk from sim-host-1',
      'Define the instance on sim-host-2',
      'Commit the move',
      'Remove the old copy from sim-host-1',
    ])
      expect(screen.getByText(label)).toBeInTheDocument();
    expect(
      screen.getByText('sim-host-1 offers 2.0 GiB in 2 files'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'sim-host-2 pulling from sim-host-1: 0.5 of 2.0 GiB at 100 MiB/s, about 16 s left',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('25% · 100 MiB/s')).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'disk transfer' }),
    ).toHaveAttribute('aria-valuenow', '25');
    // The destination card is the move's own placement, not the provisioning's.
    expect(screen.getByText('Destination')).toBeInTheDocument();
    expect(
      screen.getAllByText('Chose sim-host-2: best fit of 1 fitting host(s)'),
    ).toHaveLength(2);
    expect(
      screen.getByText('memory: needs 512 MB more memory'),
    ).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says where the instance is once the move is committed', async () => {
    await renderPage(
      <OperationView operationId="op9" />,
      backend(
        {
          id: 'op9',
          kind: 'migrate',
          instanceId: 'i1',
          state: 'succeeded',
          steps: [
            place,
            reserve,
            {
              name: 'transfer',
              state: 'done',
              progress: 1,
              detail: {
                from: 'sim-host-1',
                to: 'sim-host-2',
                bytesDone: 2 * GiB,
                bytesTotal: 2 * GiB,
              },
            },
            { name: 'commit', state: 'done', progress: 1, detail: {} },
            { name: 'clean-up', state: 'done', progress: 1, detail: {} },
          ],
        },
        instance('stopped', 'sim-host-2'),
      ),
    );
    expect(
      await screen.findByText('web-1 is on sim-host-2 now, stopped.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('2.0 GiB pulled from sim-host-1 to sim-host-2'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('the instance is on sim-host-2 now'),
    ).toBeInTheDocument();
    expect(screen.getByText('nothing left on sim-host-1')).toBeInTheDocument();
  });

  it('says the move was reverted, where the instance stays and why', async () => {
    await renderPage(
      <OperationView operationId="op9" />,
      backend(
        {
          id: 'op9',
          kind: 'migrate',
          instanceId: 'i1',
          state: 'failed',
          failedStep: 'transfer',
          error:
            'sim-host-2 sent no heartbeat for 30 s while pulling the disk from sim-host-1',
          steps: [
            { ...place, state: 'done' },
            { ...reserve, state: 'undone' },
            {
              name: 'transfer',
              state: 'failed',
              progress: 0.4,
              error:
                'sim-host-2 sent no heartbeat for 30 s while pulling the disk from sim-host-1',
              detail: { from: 'sim-host-1', to: 'sim-host-2' },
            },
            { name: 'commit', state: 'pending', progress: 0 },
          ],
        },
        instance('stopped', 'sim-host-1'),
      ),
    );
    expect(
      await screen.findByText(
        'The move failed at "Pull the disk from sim-host-1" and was reverted: web-1 stays stopped on sim-host-1. Why: sim-host-2 sent no heartbeat for 30 s while pulling the disk from sim-host-1',
      ),
    ).toBeInTheDocument();
  });
});
