import { useEffect, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { describeSize } from '@tempest/backstage-plugin-appliances-common';
import { Estimate, hostingApi } from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';

/** The form's values the estimate needs (the Provision appliance template's parameter names). */
type ProvisionForm = {
  appliance?: string;
  hostname?: string;
  cpuCores?: number;
  memoryMb?: number;
  storageMb?: number;
  host?: string;
  maxPricePerHourMinor?: number;
};

const applianceIdOf = (ref: string) =>
  ref.replace(/^resource:(default\/)?/, '');
const hostOf = (ref: string) =>
  ref.replace(/^resource:(default\/)?/, '').replace(/\.host$/, '');

/**
 * Scaffolder field `ApplianceCostEstimate`: before anything is created,
 * shows where the backend would place the instance and what an hour would
 * cost there. Its value is the estimate's summary.
 */
export function ApplianceCostEstimate(
  props: FieldExtensionComponentProps<string>,
) {
  const money = useMoney();
  const formatMinor = (minor: number) => money.format(minor);
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const form = ((props.formContext as any)?.formData ?? {}) as ProvisionForm;
  const { onChange } = props;
  const [estimate, setEstimate] = useState<Estimate>();
  const [error, setError] = useState<string>();
  const key = JSON.stringify(form);

  useEffect(() => {
    if (!form.appliance || !form.cpuCores || !form.memoryMb || !form.storageMb)
      return () => {};
    let cancelled = false;
    hostingApi({ discoveryApi, fetchApi })
      .estimate({
        applianceId: applianceIdOf(form.appliance),
        hostname: form.hostname || 'estimate',
        size: {
          cpuCores: form.cpuCores,
          memoryMb: form.memoryMb,
          storageMb: form.storageMb,
        },
        ...(form.host ? { hostId: hostOf(form.host) } : {}),
        ...(form.maxPricePerHourMinor !== undefined
          ? { maxPricePerHourMinor: form.maxPricePerHourMinor }
          : {}),
      })
      .then(
        result => {
          if (cancelled) return;
          setEstimate(result);
          setError(undefined);
          onChange(result.summary);
        },
        e => {
          if (cancelled) return;
          setEstimate(undefined);
          setError(e.body?.error?.message ?? e.message);
          onChange(undefined);
        },
      );
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, discoveryApi, fetchApi]);

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!estimate) return <Typography>Working out the price…</Typography>;
  if (!estimate.chosen)
    return <Alert severity="warning">{estimate.summary}</Alert>;
  const { price } = estimate.chosen;
  return (
    <Alert severity="info">
      <Typography>
        On <b>{estimate.chosen.hostName}</b>:{' '}
        <b>{formatMinor(estimate.chosen.pricePerHourMinor)}</b> an hour (running{' '}
        {formatMinor(price.runningPriceMinor)} per {price.runningPeriodSeconds}{' '}
        s, storage {formatMinor(price.storagePriceMinor)} per{' '}
        {price.storagePeriodSeconds} s), locked when placed.
      </Typography>
      <Typography variant="caption">
        Minimum size {describeSize(estimate.minimum)}. {estimate.summary}
      </Typography>
    </Alert>
  );
}
