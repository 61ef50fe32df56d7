import {
  Content,
  InfoCard,
  Link,
  LinkButton,
  Progress,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  identityApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { channelManagePermission } from '@tempest/backstage-plugin-appliances-common';
import useAsync from 'react-use/esm/useAsync';
import { appliancesApiRef } from '../../api';
import { hostingApi } from '../../hosting/hostingApi';
import { ApplianceLink, HostLink, InstanceLink } from '../EntityLinks';
import { ErrorAlert } from '../ErrorAlert';
import { InstanceStateChip } from '../MyInstancesPage/InstanceStateChip';
import { provisionTemplateUrl } from '../ProvisionButton';

const RECENT = 5;

function Count(props: { value?: number; label: string; to: string }) {
  return (
    <Grid item xs={6}>
      <Link to={props.to} underline="none">
        <Typography variant="h3" component="p">
          {props.value ?? 0}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {props.label}
        </Typography>
      </Link>
    </Grid>
  );
}

/** What Tempest holds: channels, appliances, hosts and instances, each a way in. */
function HoldingsCard() {
  const api = useApi(appliancesApiRef);
  const summary = useAsync(() => api.getSummary(), [api]);
  return (
    <InfoCard title="What Tempest holds">
      {summary.loading && <Progress />}
      {summary.error && <ErrorAlert error={summary.error} />}
      {summary.value && (
        <Grid container spacing={2} data-testid="holdings">
          <Count
            value={summary.value.appliances}
            label="appliances"
            to="/appliances"
          />
          <Count
            value={summary.value.channels}
            label="channels"
            to="/appliances/channels"
          />
          <Count
            value={summary.value.hosts}
            label="hosts"
            to="/appliances/hosts"
          />
          <Count
            value={summary.value.instances}
            label="instances"
            to="/appliances/instances"
          />
        </Grid>
      )}
    </InfoCard>
  );
}

/** The user's newest instances with their state, appliance and host. */
function YourInstancesCard() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const instances = useAsync(
    () =>
      hostingApi({ discoveryApi, fetchApi }).listInstances({ limit: RECENT }),
    [discoveryApi, fetchApi],
  );
  return (
    <InfoCard
      title="Your instances"
      deepLink={{ title: 'All your instances', link: '/appliances/instances' }}
    >
      {instances.loading && <Progress />}
      {instances.error && <ErrorAlert error={instances.error} />}
      {instances.value && instances.value.items.length === 0 && (
        <Typography>
          You have no instances yet.{' '}
          <Link to={provisionTemplateUrl()}>Provision an appliance</Link> to run
          one.
        </Typography>
      )}
      {instances.value && instances.value.items.length > 0 && (
        <Table size="small" aria-label="Your instances">
          <TableHead>
            <TableRow>
              <TableCell>Instance</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Appliance</TableCell>
              <TableCell>Host</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {instances.value.items.map(instance => (
              <TableRow key={instance.id}>
                <TableCell>
                  <InstanceLink instance={instance} />
                </TableCell>
                <TableCell>
                  <InstanceStateChip instance={instance} />
                </TableCell>
                <TableCell>
                  <ApplianceLink applianceId={instance.applianceId} />
                </TableCell>
                <TableCell>
                  <HostLink hostName={instance.hostName} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}

function QuickLinksCard() {
  const { allowed: isAdmin } = usePermission({
    permission: channelManagePermission,
  });
  const links: Array<[string, string, string]> = [
    ['Browse appliances', '/appliances', 'search, filter and compare'],
    ['Provision appliance', provisionTemplateUrl(), 'run one on a host'],
    [
      'Power instance',
      '/create/templates/default/power-instance',
      'start, stop, suspend, resume or delete',
    ],
    ['My hosts', '/appliances/hosts', 'prices, maintenance, enrolment'],
    [
      'Register host',
      '/create/templates/default/register-host',
      'offer a machine to run instances',
    ],
    ['Operations', '/appliances/operations', 'provisionings and moves'],
    ...(isAdmin
      ? ([['Channels', '/appliances/channels', 'appliance feeds']] as Array<
          [string, string, string]
        >)
      : []),
    ['Catalog', '/catalog', 'every entity, Tempest’s included'],
  ];
  return (
    <InfoCard title="Quick links">
      <Box component="ul" m={0} pl={2}>
        {links.map(([title, to, what]) => (
          <li key={title}>
            <Typography variant="body2">
              <Link to={to}>{title}</Link>{' '}
              <Typography
                component="span"
                variant="body2"
                color="textSecondary"
              >
                — {what}
              </Typography>
            </Typography>
          </li>
        ))}
      </Box>
    </InfoCard>
  );
}

/** `/`: what Tempest holds, the user's instances and the ways in. */
export function HomePage() {
  const identityApi = useApi(identityApiRef);
  const profile = useAsync(() => identityApi.getProfileInfo(), [identityApi]);
  const name = profile.value?.displayName;
  return (
    <Content>
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        flexWrap="wrap"
        mb={3}
        style={{ gap: 16 }}
      >
        <Box>
          <Typography variant="h4" component="h1">
            {name ? `Welcome, ${name}` : 'Welcome to Tempest'}
          </Typography>
          <Typography color="textSecondary">
            Self-service virtual appliances: pick one from a channel, run it on
            a host within your price, and manage it here.
          </Typography>
        </Box>
        <Box display="flex" style={{ gap: 8 }}>
          <LinkButton to="/appliances" variant="outlined" color="primary">
            Browse appliances
          </LinkButton>
          <LinkButton
            to={provisionTemplateUrl()}
            variant="contained"
            color="primary"
          >
            Provision appliance
          </LinkButton>
        </Box>
      </Box>
      <Grid container spacing={3}>
        <Grid item xs={12} md={8}>
          <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
            <YourInstancesCard />
          </Box>
        </Grid>
        <Grid item xs={12} md={4}>
          <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
            <HoldingsCard />
            <QuickLinksCard />
          </Box>
        </Grid>
      </Grid>
    </Content>
  );
}
