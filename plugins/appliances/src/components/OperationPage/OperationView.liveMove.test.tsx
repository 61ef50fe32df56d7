import { screen } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { OperationView } from './OperationView';

const MiB = 1048576;

const instance = {
  id: 'i1',
  hostname: 'web-1',
  applianceId: 'sample.webserv.1.1.0-0',
  state: 'migrating',
  hostName: 'sim-host-1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
  price: { pricePerHourMinor: 14 },
  entityRef: 'resource:default/web-1',
};

const done = (name: string, detail: object = {}) => ({
  name,
  state: 'done',
  progress: 1,
  detail,
});

function operation(liveMove: object, rest: object[]) {
  return {
    id: 'op7',
    kind: 'migrate',
    instanceId: 'i1',
    state: 'running',
    steps: [
      done('place', {
        decision: {
          summary: 'Chose sim-host-2: best fit of 1 fitting host(s)',
          candidates: 1,
          rejected: [],
          chosen: { hostId: 'h2', hostName: 'sim-host-2' },
        },
      }),
      done('reserve-capacity', { hostId: 'h2', hostName: 'sim-host-2' }),
      done('install-images', { layers: [] }),
      done('export', { exportId: 'x1', totalBytes: 3 * MiB, files: 3 }),
      done('transfer', {
        importId: 'm1',
        from: 'sim-host-1',
        to: 'sim-host-2',
        bytesDone: 40 * 1024,
      }),
      done('receive', {
        incomingId: 'r1',
        hostName: 'sim-host-2',
        network: 'default',
      }),
      liveMove,
      ...rest,
    ],
  };
}

const render = (op: object) =>
  renderPage(
    <OperationView operationId="op7" pollMs={60000} />,
    async (url: string) =>
      url.includes('/operations/') ? json(op) : json(instance),
  );

describe('OperationView of a running instance moved live', () => {
  it('words the live steps and follows the memory and disk being sent', async () => {
    await render(
      operation(
        {
          name: 'live-move',
          state: 'running',
          progress: 0.5,
          detail: {
            migrationId: 'l1',
            from: 'sim-host-1',
            to: 'sim-host-2',
            bytesDone: 256 * MiB,
            bytesTotal: 512 * MiB,
            speedBytesPerSecond: 128 * MiB,
          },
        },
        [
          { name: 'commit', state: 'pending', progress: 0 },
          { name: 'clean-up', state: 'pending', progress: 0 },
        ],
      ),
    );
    expect(await screen.findByText('Moving web-1')).toBeInTheDocument();
    for (const label of [
      'Get sim-host-2 ready to receive the running instance',
      'Move the running instance to sim-host-2',
    ])
      expect(screen.getByText(label)).toBeInTheDocument();
    expect(
      screen.getByText('sim-host-2 is ready, on network default'),
    ).toBeInTheDocument();
    // A live export holds only the small read-only files: they read in KiB, not as 0.0 MiB.
    expect(
      screen.getByText('40.0 KiB pulled from sim-host-1 to sim-host-2'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'sim-host-1 sending memory and disk to sim-host-2: 256.0 of 512.0 MiB at 128 MiB/s, about 2 s left',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('50% · 128 MiB/s')).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'live move' }),
    ).toHaveAttribute('aria-valuenow', '50');
  });

  it('says how much was sent and how long the guest paused once it is across', async () => {
    await render(
      operation(
        done('live-move', {
          migrationId: 'l1',
          from: 'sim-host-1',
          to: 'sim-host-2',
          bytesDone: 300 * MiB,
          downtimeMs: 42,
        }),
        [{ name: 'commit', state: 'running', progress: 0 }],
      ),
    );
    expect(
      await screen.findByText(
        '300.0 MiB of memory and disk sent from sim-host-1 to sim-host-2 while it ran; paused for 42 ms',
      ),
    ).toBeInTheDocument();
  });
});
