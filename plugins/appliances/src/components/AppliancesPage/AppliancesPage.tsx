import {
  Content,
  ContentHeader,
  LinkButton,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Typography from '@material-ui/core/Typography';
import { channelManagePermission } from '@tempest/backstage-plugin-appliances-common';
import { Route, Routes, useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { appliancesApiRef } from '../../api';
import { ApplianceBrowser } from '../ApplianceBrowser';
import { ApplianceDetail } from '../ApplianceDetail';

/** The landing view: what Tempest holds, then every appliance with search and filters. */
function AppliancesHome() {
  const api = useApi(appliancesApiRef);
  const { allowed: isAdmin } = usePermission({
    permission: channelManagePermission,
  });
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
        {isAdmin && (
          <LinkButton to="/appliances/channels" variant="outlined">
            Channels
          </LinkButton>
        )}
      </ContentHeader>
      {loading && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <>
          <Typography variant="body1" paragraph data-testid="summary">
            {value.summary.appliances ?? 0} appliances from{' '}
            {value.summary.channels} channels:{' '}
            {value.channels.length === 0
              ? 'No channels subscribed yet.'
              : value.channels.map((c, i) => (
                  <span key={c.id}>
                    {i > 0 && ', '}
                    <strong>{c.id}</strong> ({c.url})
                  </span>
                ))}
          </Typography>
          {value.channels.length > 0 && <ApplianceBrowser />}
        </>
      )}
    </Content>
  );
}

function ApplianceDetailPage() {
  const { id } = useParams();
  return (
    <Content>
      <ContentHeader title="Virtual appliance">
        <LinkButton to="/appliances" variant="outlined">
          All appliances
        </LinkButton>
      </ContentHeader>
      <ApplianceDetail id={decodeURIComponent(id!)} />
    </Content>
  );
}

/** /appliances: the appliance browser, and /appliances/:id one appliance in detail. */
export function AppliancesPage() {
  return (
    <Routes>
      <Route path="/" element={<AppliancesHome />} />
      <Route path="/:id" element={<ApplianceDetailPage />} />
    </Routes>
  );
}
