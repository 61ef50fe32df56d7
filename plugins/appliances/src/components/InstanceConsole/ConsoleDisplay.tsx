import { useEffect, useRef, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type RFB from '@novnc/novnc';
import { Instance, hostingApi } from '../../hosting/hostingApi';
import { errorSentence } from '../../errors/errorSentence';

type Status =
  | { kind: 'connecting' }
  | { kind: 'connected'; desktop: string }
  | { kind: 'closed'; message: string; severity: 'info' | 'warning' };

/** What a closed console websocket means, as a sentence. */
export function closeSentence(code: number, reason: string): string {
  if (code === 4001)
    return 'This console was closed because another session opened the same instance (one session per instance).';
  if (reason) return `The console closed: ${reason}.`;
  if (code === 1006)
    return 'The console connection was lost: the backend or the host may have gone away.';
  return 'The console closed.';
}

/**
 * The instance's display in noVNC: a ticket from the backend, then a
 * websocket to the backend's console proxy, which pipes to the host's agent.
 */
export function ConsoleDisplay(props: { instance: Instance }) {
  const { instance } = props;
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB>();
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setStatus({ kind: 'connecting' });
    (async () => {
      try {
        const [{ websocketUrl }, { default: RFBClass }] = await Promise.all([
          hostingApi({ discoveryApi, fetchApi }).openConsole(instance.id),
          import('@novnc/novnc'),
        ]);
        if (cancelled || !screen.current) return;
        // Our own socket, so the close code and reason can be told to the user.
        const socket = new WebSocket(websocketUrl);
        socket.addEventListener('close', e => {
          if (!cancelled)
            setStatus({
              kind: 'closed',
              message: closeSentence(e.code, e.reason),
              severity: e.code === 1000 || e.code === 4001 ? 'info' : 'warning',
            });
        });
        const client = new RFBClass(screen.current, socket, { shared: true });
        client.scaleViewport = true;
        client.background = '#202020';
        // noVNC names the desktop (ServerInit) before it reports the connection.
        let desktop = '';
        client.addEventListener('desktopname', (e: Event) => {
          desktop = (e as CustomEvent<{ name: string }>).detail.name;
          setStatus(s => (s.kind === 'connected' ? { ...s, desktop } : s));
        });
        client.addEventListener('connect', () =>
          setStatus({ kind: 'connected', desktop }),
        );
        rfb.current = client;
      } catch (e) {
        if (!cancelled)
          setStatus({
            kind: 'closed',
            message: errorSentence(e),
            severity: 'warning',
          });
      }
    })();
    return () => {
      cancelled = true;
      rfb.current?.disconnect();
      rfb.current = undefined;
    };
  }, [instance.id, discoveryApi, fetchApi, attempt]);

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        mb={1}
        style={{ gap: 8 }}
      >
        <Typography variant="body2" role="status">
          {status.kind === 'connecting' &&
            `Connecting to ${instance.hostname}…`}
          {status.kind === 'connected' &&
            `Connected${status.desktop ? ` to ${status.desktop}` : ''}.`}
        </Typography>
        <Box display="flex" style={{ gap: 8 }}>
          <Button
            size="small"
            variant="outlined"
            disabled={status.kind !== 'connected'}
            onClick={() => rfb.current?.sendCtrlAltDel()}
          >
            Send Ctrl+Alt+Del
          </Button>
          <Button
            size="small"
            variant="outlined"
            disabled={status.kind === 'connecting'}
            onClick={() => setAttempt(a => a + 1)}
          >
            Reconnect
          </Button>
        </Box>
      </Box>
      {status.kind === 'closed' && (
        <Box mb={1}>
          <Alert severity={status.severity}>{status.message}</Alert>
        </Box>
      )}
      <div
        ref={screen}
        data-testid="console-screen"
        aria-label={`Display of ${instance.hostname}`}
        style={{
          width: '100%',
          height: '60vh',
          background: '#202020',
          overflow: 'hidden',
        }}
      />
    </Box>
  );
}
