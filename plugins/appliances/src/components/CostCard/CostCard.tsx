import { useMemo } from 'react';
import { InfoCard } from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { INSTANCE_ID_ANNOTATION } from '../InstanceCard/InstanceCard';
import { billingApi, totalsByInstance } from '../../billing/billingApi';
import { hostingApi } from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';
import { AccountSummary } from '../CostsPage';
import Alert from '@material-ui/lab/Alert';
import { ErrorAlert } from '../ErrorAlert';

/**
 * Costs on entity pages: a user's or group's account (balance, spend per
 * hour), or an instance's cost to date and the account it is billed to.
 */
export function CostCard() {
  const { entity } = useEntity();
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();
  const api = useMemo(
    () => billingApi({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
  const hosting = useMemo(
    () => hostingApi({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
  const instanceId = entity.metadata.annotations?.[INSTANCE_ID_ANNOTATION];
  const state = useAsync(async () => {
    const accounts = await api.listAccounts();
    if (!instanceId) {
      const ref = stringifyEntityRef(entity);
      return { account: accounts.find(a => a.owner === ref) };
    }
    const instance = await hosting.getInstance(instanceId);
    const payer = instance.costCenter ?? instance.owner;
    const account = accounts.find(a => a.owner === payer);
    if (!account) return { payer };
    const { lines } = await api.ledger(account.id);
    const [total] = totalsByInstance(
      lines.filter(l => l.instanceId === instanceId),
    );
    return { payer, account, spentMinor: total?.spentMinor ?? 0 };
  }, [api, hosting, entity, instanceId]);

  return (
    <InfoCard title="Costs">
      {state.error && <ErrorAlert error={state.error} />}
      {state.value && instanceId && (
        <>
          <Typography variant="h5">
            {money.format(state.value.spentMinor ?? 0)} to date
          </Typography>
          <Typography variant="body2" color="textSecondary">
            Billed to {state.value.payer}
            {state.value.account
              ? `, whose balance is ${money.format(state.value.account.balanceMinor)}`
              : ''}
            .
          </Typography>
          {state.value.account?.provisioningRefused && (
            <Alert severity="error">
              That account is at zero or below: new instances billed to it are
              refused until an admin tops it up.
            </Alert>
          )}
          {!state.value.account?.provisioningRefused &&
            state.value.account?.lowBalanceSince && (
              <Alert severity="warning">
                That account's balance has been low since{' '}
                {new Date(state.value.account.lowBalanceSince).toLocaleString()}
                .
              </Alert>
            )}
        </>
      )}
      {state.value && !instanceId && state.value.account && (
        <AccountSummary account={state.value.account} />
      )}
      {state.value && !instanceId && !state.value.account && (
        <Typography variant="body2" color="textSecondary">
          No account yet (or not one you may see): it opens with the first
          charge or top-up.
        </Typography>
      )}
    </InfoCard>
  );
}
