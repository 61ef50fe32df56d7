import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  ApplianceDetail as ApplianceDetailData,
  applianceEntityRef,
} from '@tempest/backstage-plugin-appliances-common';
import useAsync from 'react-use/esm/useAsync';
import { appliancesApiRef } from '../../api';
import { formatMemory } from '../ApplianceBrowser';
import { ProvisionButton } from '../ProvisionButton';
import { SignatureChip, explainSignature } from '../SignatureChip';

function Webpanel(props: { webpanel?: string }) {
  if (!props.webpanel) return <>none</>;
  if (/^https?:\/\//i.test(props.webpanel)) {
    return <Link to={props.webpanel}>{props.webpanel}</Link>;
  }
  return <>{props.webpanel} on each instance</>;
}

/** Everything about one appliance, for the detail page and the entity card. */
export function ApplianceDetailView(props: {
  appliance: ApplianceDetailData;
  compact?: boolean;
}) {
  const a = props.appliance;
  const overview = (
    <InfoCard
      title={`${a.label} ${a.version}`}
      subheader={a.description}
      action={
        a.signature.provisionable ? (
          <ProvisionButton applianceEntityRef={applianceEntityRef(a.id)} />
        ) : undefined
      }
    >
      <StructuredMetadataTable
        metadata={{
          provides: a.provides,
          version: (
            <>
              {a.version} {a.latest && <Chip size="small" label="newest" />}
            </>
          ),
          channel: a.channel,
          'image size': `${a.sizeMb} MB`,
          signature: (
            <>
              <SignatureChip state={a.signature.state} />{' '}
              {explainSignature(a.signature.state)}
            </>
          ),
          provisioning: a.signature.provisionable
            ? 'allowed'
            : 'refused: the image is not verified and appliances.allowUnsigned is off',
          'web panel': <Webpanel webpanel={a.webpanel} />,
          image: <Link to={a.imageUrl}>{a.imageUrl}</Link>,
          ...(a.signatureUrl
            ? {
                'detached signature': (
                  <Link to={a.signatureUrl}>{a.signatureUrl}</Link>
                ),
              }
            : {}),
        }}
      />
    </InfoCard>
  );
  const hardware = (
    <InfoCard title="Hardware">
      <StructuredMetadataTable
        metadata={{
          processors: a.hardware.cpus,
          memory: `${formatMemory(a.hardware.memoryKib)} (${a.hardware.memoryKib} KiB)`,
          'OS type': a.hardware.ostype,
        }}
      />
      <Typography variant="subtitle2" style={{ marginTop: 12 }}>
        Disks
      </Typography>
      <table data-testid="disks">
        <thead>
          <tr>
            <th align="left">Name</th>
            <th align="left">Type</th>
            <th align="left">Source</th>
          </tr>
        </thead>
        <tbody>
          {a.hardware.disks.map(d => (
            <tr key={d.name}>
              <td>{d.name}</td>
              <td>{d.type}</td>
              <td>{d.file ? `file ${d.file}` : `blank, ${d.sizeMb} MB`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </InfoCard>
  );
  const dependencies = (
    <InfoCard title="Dependencies">
      {a.dependencies.length === 0 ? (
        'None.'
      ) : (
        <ul>
          {a.dependencies.map(d => (
            <li key={`${d.name}:${d.version ?? ''}`}>
              {d.name}
              {d.version ? ` ≥ ${d.version}` : ''} —{' '}
              {d.resolvedId ? (
                <Link to={`/appliances/${encodeURIComponent(d.resolvedId)}`}>
                  {d.resolvedId}
                </Link>
              ) : (
                <strong style={{ color: '#c62828' }}>
                  unresolved in every subscribed channel
                </strong>
              )}
            </li>
          ))}
        </ul>
      )}
    </InfoCard>
  );
  const versions = (
    <InfoCard title="Versions">
      <ul>
        {a.versions.map(v => (
          <li key={v.id}>
            {v.id === a.id ? (
              <strong>{v.version}</strong>
            ) : (
              <Link to={`/appliances/${encodeURIComponent(v.id)}`}>
                {v.version}
              </Link>
            )}{' '}
            from {v.channel} {v.latest && <Chip size="small" label="newest" />}
          </li>
        ))}
      </ul>
    </InfoCard>
  );
  if (props.compact) {
    return (
      <Grid container spacing={2}>
        <Grid item xs={12}>
          {overview}
        </Grid>
        <Grid item xs={12} md={6}>
          {hardware}
        </Grid>
        <Grid item xs={12} md={6}>
          {dependencies}
        </Grid>
      </Grid>
    );
  }
  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={7}>
        {overview}
      </Grid>
      <Grid item xs={12} md={5}>
        {hardware}
      </Grid>
      <Grid item xs={12} md={7}>
        {dependencies}
      </Grid>
      <Grid item xs={12} md={5}>
        {versions}
      </Grid>
    </Grid>
  );
}

/** Loads one appliance by id and shows it. */
export function ApplianceDetail(props: { id: string; compact?: boolean }) {
  const api = useApi(appliancesApiRef);
  const { value, loading, error } = useAsync(
    () => api.getAppliance(props.id),
    [api, props.id],
  );
  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;
  return value ? (
    <ApplianceDetailView appliance={value} compact={props.compact} />
  ) : null;
}
