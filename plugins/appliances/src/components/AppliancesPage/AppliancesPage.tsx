import {
  Content,
  ContentHeader,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import useAsync from 'react-use/esm/useAsync';
import { appliancesApiRef } from '../../api';
import { ProvisionButton } from '../ProvisionButton';

/** The Appliances page: what Tempest holds, straight from the backend. */
export function AppliancesPage() {
  const api = useApi(appliancesApiRef);
  const { value, loading, error } = useAsync(async () => {
    const [summary, channels] = await Promise.all([
      api.getSummary(),
      api.listChannels(),
    ]);
    return { summary, channels };
  }, [api]);

  return (
    <Content>
      <ContentHeader title="Virtual appliances">
        <ProvisionButton />
      </ContentHeader>
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <InfoCard title="Summary">
              <StructuredMetadataTable metadata={value.summary} />
            </InfoCard>
          </Grid>
          <Grid item xs={12} md={6}>
            <InfoCard title="Channels">
              {value.channels.length === 0 ? (
                'No channels subscribed yet.'
              ) : (
                <ul>
                  {value.channels.map(channel => (
                    <li key={channel.id}>
                      <strong>{channel.id}</strong> — {channel.url}
                    </li>
                  ))}
                </ul>
              )}
            </InfoCard>
          </Grid>
        </Grid>
      )}
    </Content>
  );
}
