import { useEffect, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import CardHeader from '@material-ui/core/CardHeader';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  CartesianGrid,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { Host, HostPowerHistory, hostingApi } from '../../hosting/hostingApi';
import { ErrorAlert } from '../ErrorAlert';

const time = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** One host's power: Watts over the last day, the energy consolidation saved, its newest decisions. */
function HostPowerCard(props: { host: Host; refresh: number }) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [history, setHistory] = useState<HostPowerHistory>();
  const [error, setError] = useState<Error>();
  const { host, refresh } = props;

  useEffect(() => {
    let stopped = false;
    hostingApi({ discoveryApi, fetchApi })
      .getHostPower(host.id)
      .then(
        h => !stopped && (setHistory(h), setError(undefined)),
        e => !stopped && setError(e),
      );
    return () => {
      stopped = true;
    };
  }, [discoveryApi, fetchApi, host.id, refresh]);

  const data = (history?.readings ?? []).map(r => ({
    at: time(r.readAt),
    watts: r.watts,
  }));
  return (
    <Card variant="outlined">
      <CardHeader
        title={host.name}
        titleTypographyProps={{ variant: 'h6' }}
        subheader={
          history
            ? `Estimated energy saved by consolidation: ${history.energySavedKwh.toLocaleString(undefined, { maximumFractionDigits: 3 })} kWh`
            : 'Loading…'
        }
      />
      <CardContent>
        {error && <ErrorAlert error={error} />}
        {data.length > 0 ? (
          <LineChart
            width={440}
            height={160}
            data={data}
            aria-label={`Power draw of ${host.name} over the last 24 hours`}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="at" minTickGap={40} />
            <YAxis unit=" W" width={60} />
            <Tooltip formatter={(v: number) => [`${v} W`, 'Draw']} />
            <Line
              type="stepAfter"
              dataKey="watts"
              stroke="#1f5493"
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        ) : (
          <Typography variant="body2" color="textSecondary">
            No power readings yet.
          </Typography>
        )}
        <Typography variant="subtitle2" component="h3">
          Power decisions
        </Typography>
        {history?.decisions.length ? (
          <Box component="ul" pl={2} m={0}>
            {history.decisions.slice(0, 8).map(d => (
              <li key={d.id}>
                <Typography variant="caption">
                  {new Date(d.decidedAt).toLocaleString()} · {d.action}
                  {d.outcome === 'failed' ? ' (failed)' : ''} by {d.actor}:{' '}
                  {d.reason}
                </Typography>
              </li>
            ))}
          </Box>
        ) : (
          <Typography variant="caption" color="textSecondary">
            None yet.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

/** The power section of My hosts: a card per host with a BMC. */
export function HostPowerPanel(props: { hosts: Host[]; refresh: number }) {
  const hosts = props.hosts.filter(h => h.bmc?.hasCredentials);
  if (!hosts.length) return null;
  return (
    <Box mt={3}>
      <Typography variant="h5" component="h2" gutterBottom>
        Power
      </Typography>
      <Typography color="textSecondary" paragraph>
        Readings from each host&apos;s BMC. An empty host is powered off after a
        grace period while enough room stays free on the others, and powered on
        again when a provisioning needs it.
      </Typography>
      <Grid container spacing={2}>
        {hosts.map(h => (
          <Grid item xs={12} md={6} key={h.id}>
            <HostPowerCard host={h} refresh={props.refresh} />
          </Grid>
        ))}
      </Grid>
    </Box>
  );
}
