import { useEffect, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { describeSize } from '@tempest/backstage-plugin-appliances-common';
import { MarketPrice, Offer, billingApi } from '../../billing/billingApi';
import { useMoney } from '../../money/useMoney';

/** The form's values the offers depend on (the Provision appliance template's parameter names). */
type ProvisionForm = {
  appliance?: string;
  cpuCores?: number;
  memoryMb?: number;
  storageMb?: number;
  maxPricePerHourMinor?: number;
};

const applianceIdOf = (ref: string) =>
  ref.replace(/^resource:(default\/)?/, '');

const providerName = (ref: string) => ref.replace(/^[a-z]+:(default\/)?/, '');

/**
 * Scaffolder field `ApplianceOfferPicker`: the hosts that fit the chosen
 * size, cheapest first, with running, storage and total cost per hour, and
 * the market average for the appliance's standard configuration. Tempest's
 * placement choice is chosen until the buyer picks another. Its value is
 * the chosen host's id, which provisioning then requires.
 */
export function ApplianceOfferPicker(
  props: FieldExtensionComponentProps<string>,
) {
  const money = useMoney();
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const form = ((props.formContext as any)?.formData ?? {}) as ProvisionForm;
  const { onChange, formData } = props;
  const [offers, setOffers] = useState<Offer[]>();
  const [market, setMarket] = useState<MarketPrice | null>();
  const [error, setError] = useState<string>();
  const applianceId = form.appliance ? applianceIdOf(form.appliance) : '';
  const { cpuCores, memoryMb, storageMb, maxPricePerHourMinor } = form;

  useEffect(() => {
    if (!cpuCores || !memoryMb || !storageMb) return () => {};
    let cancelled = false;
    billingApi({ discoveryApi, fetchApi })
      .offers({ cpuCores, memoryMb, storageMb })
      .then(
        items => {
          if (cancelled) return;
          setOffers(items);
          setError(undefined);
        },
        e => {
          if (cancelled) return;
          setOffers(undefined);
          setError(e.body?.error?.message ?? e.message);
        },
      );
    return () => {
      cancelled = true;
    };
  }, [cpuCores, memoryMb, storageMb, discoveryApi, fetchApi]);

  useEffect(() => {
    if (!applianceId) return () => {};
    let cancelled = false;
    billingApi({ discoveryApi, fetchApi })
      .marketPrice(applianceId)
      .then(
        m => !cancelled && setMarket(m ?? null),
        () => !cancelled && setMarket(null),
      );
    return () => {
      cancelled = true;
    };
  }, [applianceId, discoveryApi, fetchApi]);

  const withinLimit = (o: Offer) =>
    maxPricePerHourMinor === undefined ||
    (o.perHourMinor ?? 0) <= maxPricePerHourMinor;
  const fitting = (offers ?? []).filter(o => o.fits && withinLimit(o));
  const chosen = fitting.find(o => o.hostId === formData);
  const fallback =
    fitting.find(o => o.placementChoice)?.hostId ?? fitting[0]?.hostId;

  // Tempest's choice stands until the buyer picks another that still fits.
  useEffect(() => {
    if (!offers) return;
    if (!chosen && formData !== fallback) onChange(fallback);
  }, [offers, chosen, formData, fallback, onChange]);

  const marketLine = market ? (
    <Typography variant="body2" data-testid="market-average">
      Market average for this appliance's standard configuration (
      {describeSize(market.size)}):{' '}
      <b>{money.format(market.perHourMinor)} an hour</b> (running{' '}
      {money.format(market.runningPerHourMinor)}, storage{' '}
      {money.format(market.storagePerHourMinor)}), over {market.hosts}{' '}
      {market.hosts === 1 ? 'host' : 'hosts'}
      {market.stale
        ? `; no host can place it now, so this is the last average, of ${new Date(market.computedAt).toLocaleString()}`
        : ''}
      .
    </Typography>
  ) : (
    market === null && (
      <Typography variant="body2">
        No market average for this appliance yet.
      </Typography>
    )
  );

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!offers) return <Typography>Looking for hosts that fit…</Typography>;
  if (!fitting.length) {
    return (
      <>
        <Alert severity="warning">
          No host has room for {cpuCores} cores, {memoryMb} MB memory and{' '}
          {storageMb} MB storage
          {maxPricePerHourMinor !== undefined
            ? ` within ${money.format(maxPricePerHourMinor)} an hour`
            : ''}{' '}
          now.
        </Alert>
        {marketLine}
      </>
    );
  }
  return (
    <>
      <Typography variant="subtitle1">
        {props.schema?.title ?? 'Host'}
      </Typography>
      <Table size="small" aria-label="Hosts that fit">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" />
            <TableCell>Host</TableCell>
            <TableCell>Provider</TableCell>
            <TableCell align="right">Running per hour</TableCell>
            <TableCell align="right">Storage per hour</TableCell>
            <TableCell align="right">Total per hour</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {fitting.map(o => (
            <TableRow
              key={o.hostId}
              hover
              selected={o.hostId === formData}
              onClick={() => onChange(o.hostId)}
              style={{ cursor: 'pointer' }}
            >
              <TableCell padding="checkbox">
                {/* A native radio: MUI's ButtonBase warns under StrictMode (findDOMNode). */}
                <input
                  type="radio"
                  name="appliance-offer"
                  checked={o.hostId === formData}
                  onChange={() => onChange(o.hostId)}
                  aria-label={o.hostName}
                />
              </TableCell>
              <TableCell>
                {o.hostName}{' '}
                {o.placementChoice && (
                  <Chip size="small" label="Tempest's choice" />
                )}
                {o.state !== 'online' && (
                  <Chip
                    size="small"
                    variant="outlined"
                    label="powered on when needed"
                  />
                )}
              </TableCell>
              <TableCell>{providerName(o.provider)}</TableCell>
              <TableCell align="right">
                {money.format(o.runningPerHourMinor ?? 0)}
              </TableCell>
              <TableCell align="right">
                {money.format(o.storagePerHourMinor ?? 0)}
              </TableCell>
              <TableCell align="right">
                <b>{money.format(o.perHourMinor ?? 0)}</b>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {chosen && (
        <Typography variant="body2" data-testid="chosen-price">
          Chosen: <b>{chosen.hostName}</b> at{' '}
          <b>{money.format(chosen.perHourMinor ?? 0)} an hour</b>
          {market
            ? ` (market average ${money.format(market.perHourMinor)} an hour for the standard configuration)`
            : ''}
          .
        </Typography>
      )}
      {marketLine}
    </>
  );
}
