import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import type { Instance } from '../../hosting/hostingApi';
import { ConsoleButton } from './ConsoleButton';
import { closeSentence } from './ConsoleDisplay';

/** noVNC's RFB stand-in: records what it was given; the test plays the server's events. */
const rfbs: Array<{ socket: FakeSocket; events: EventTarget }> = [];
jest.mock('@novnc/novnc', () => ({
  __esModule: true,
  default: class extends EventTarget {
    scaleViewport = false;
    background = '';
    constructor(_target: HTMLElement, socket: FakeSocket) {
      super();
      rfbs.push({ socket, events: this });
    }
    disconnect() {}
    sendCtrlAltDel() {}
  },
}));

class FakeSocket extends EventTarget {
  constructor(readonly url: string) {
    super();
  }
}

const instance: Instance = {
  id: 'i1',
  hostname: 'web-1',
  owner: 'user:default/ann',
  applianceId: 'sample.web.1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  state: 'started',
  version: 3,
  hostId: 'h1',
  allowedActions: ['stop', 'suspend'],
  entityRef: 'resource:default/web-1',
  addresses: [],
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
};

async function render(shown: Instance, replies: Record<string, Response>) {
  const fetchApi = {
    fetch: jest.fn(
      async (url: string, _init?: RequestInit) =>
        replies[url] ?? new Response('', { status: 404 }),
    ),
  };
  await renderInTestApp(<ConsoleButton instance={shown} />, {
    apis: [
      [
        discoveryApiRef,
        { getBaseUrl: async () => 'http://backend/api/appliances' },
      ],
      [fetchApiRef, fetchApi as any],
    ],
  });
  return fetchApi;
}

const ticket = () =>
  new Response(
    JSON.stringify({
      ticket: 't'.repeat(43),
      expiresAt: '2026-12-02T18:00:30Z',
      websocketPath: `/console/sessions/i1?ticket=${'t'.repeat(43)}`,
    }),
    { status: 201, headers: { 'content-type': 'application/json' } },
  );

describe('ConsoleButton', () => {
  const RealWebSocket = global.WebSocket;
  beforeEach(() => {
    rfbs.length = 0;
    (global as any).WebSocket = FakeSocket;
  });
  afterEach(() => {
    (global as any).WebSocket = RealWebSocket;
  });

  it('opens the display through a ticket and says whom it is connected to, and why it closed', async () => {
    const fetchApi = await render(instance, {
      'http://backend/api/appliances/instances/i1/console': ticket(),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Console of web-1' }));
    expect(await screen.findByText('Console of web-1')).toBeInTheDocument();
    await waitFor(() => expect(rfbs).toHaveLength(1));
    expect(fetchApi.fetch.mock.calls[0][1]).toMatchObject({ method: 'POST' });
    expect(rfbs[0].socket.url).toBe(
      `ws://backend/api/appliances/console/sessions/i1?ticket=${'t'.repeat(43)}`,
    );
    act(() => {
      rfbs[0].events.dispatchEvent(
        new CustomEvent('desktopname', { detail: { name: 'web-1 display' } }),
      );
      rfbs[0].events.dispatchEvent(new CustomEvent('connect'));
    });
    expect(
      await screen.findByText('Connected to web-1 display.'),
    ).toBeInTheDocument();
    act(() => {
      rfbs[0].socket.dispatchEvent(
        Object.assign(new Event('close'), { code: 4001, reason: 'replaced' }),
      );
    });
    expect(
      await screen.findByText(/another session opened the same instance/),
    ).toBeInTheDocument();
  });

  it('says why a ticket was refused, as a sentence', async () => {
    await render(instance, {
      'http://backend/api/appliances/instances/i1/console': new Response(
        JSON.stringify({
          error: {
            name: 'NotAllowedError',
            message: 'You may see instance web-1 but not open its console',
          },
          response: { statusCode: 403 },
        }),
        { status: 403, headers: { 'content-type': 'application/json' } },
      ),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Console of web-1' }));
    expect(
      await screen.findByText(
        /You may see instance web-1 but not open its console/,
      ),
    ).toBeInTheDocument();
    expect(rfbs).toHaveLength(0);
  });

  it("shows a stopped instance's serial log only", async () => {
    await render(
      { ...instance, state: 'stopped' },
      {
        'http://backend/api/appliances/instances/i1/serial-log': new Response(
          'Starting web-1\nweb-1 login: ',
          { status: 200, headers: { 'content-type': 'text/plain' } },
        ),
      },
    );
    fireEvent.click(screen.getByRole('button', { name: 'Console of web-1' }));
    expect(await screen.findByText(/web-1 login:/)).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Display' })).toBeDisabled();
    expect(
      screen.getByText(
        /web-1 is stopped: its display opens while it is started/,
      ),
    ).toBeInTheDocument();
  });

  it('words close codes', () => {
    expect(
      closeSentence(1000, "The instance's display closed: it stopped"),
    ).toBe("The console closed: The instance's display closed: it stopped.");
    expect(closeSentence(1006, '')).toMatch(/connection was lost/);
  });
});
