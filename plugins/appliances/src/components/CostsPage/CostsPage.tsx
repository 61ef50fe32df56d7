import { ReactNode, useEffect, useMemo, useState } from 'react';
import { Content } from '@backstage/core-components';
import MuiTable from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { usePermission } from '@backstage/plugin-permission-react';
import { accountReversePermission } from '@tempest/backstage-plugin-appliances-common';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import {
  Account,
  accountName,
  billingApi,
  bucketFor,
  describeLedgerLine,
  isReversible,
  LedgerLine,
  spendOverTime,
  totalsByInstance,
} from '../../billing/billingApi';
import { useMoney } from '../../money/useMoney';
import { ErrorAlert } from '../ErrorAlert';
import { ReverseDialog } from './ReverseDialog';

const REFRESH_MS = 15_000;

function Figure(props: { label: string; value: string; note?: string }) {
  return (
    <Card variant="outlined" style={{ minWidth: 200 }}>
      <CardContent>
        <Typography variant="overline" color="textSecondary">
          {props.label}
        </Typography>
        <Typography variant="h5">{props.value}</Typography>
        {props.note && (
          <Typography variant="body2" color="textSecondary">
            {props.note}
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

function SimpleTable(props: {
  title: string;
  note?: string;
  head: string[];
  rows: ReactNode[][];
}) {
  return (
    <Box>
      <Typography variant="h6">{props.title}</Typography>
      {props.note && (
        <Typography variant="body2" color="textSecondary">
          {props.note}
        </Typography>
      )}
      <MuiTable size="small" aria-label={props.title}>
        <TableHead>
          <TableRow>
            {props.head.map(h => (
              <TableCell key={h}>{h}</TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {props.rows.map((row, i) => (
            <TableRow key={i}>
              {row.map((cell, j) => (
                <TableCell key={j}>{cell}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </MuiTable>
    </Box>
  );
}

/** Balance, spend per hour, low-balance and refusal notices of one account. */
export function AccountSummary(props: { account: Account }) {
  const money = useMoney();
  const { account } = props;
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
      <Figure label="Balance" value={money.format(account.balanceMinor)} />
      <Figure
        label="Spend now"
        value={`${money.format(account.spendPerHourMinor)} per hour`}
        note="Instances billed to this account, running and stored"
      />
      {account.provisioningRefused && (
        <Alert severity="error">
          The balance is at zero or below: new instances billed to this account
          are refused until an admin tops it up.
        </Alert>
      )}
      {!account.provisioningRefused && account.lowBalanceSince && (
        <Alert severity="warning">
          The balance has been low since{' '}
          {new Date(account.lowBalanceSince).toLocaleString()}.
        </Alert>
      )}
    </Box>
  );
}

/**
 * Costs: for each account the caller may see (their user and groups; a
 * provider's income; every account for admins), the balance, spend per hour,
 * spend over time, income per host, cost or income per instance, and the
 * ledger as CSV. Admins reverse ledger transactions, giving a reason.
 */
export function CostsPage() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const api = useMemo(
    () => billingApi({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );
  const money = useMoney();
  const [chosen, setChosen] = useState<string>();
  const [reversing, setReversing] = useState<LedgerLine>();
  const { allowed: mayReverse } = usePermission({
    permission: accountReversePermission,
  });
  const accounts = useAsyncRetry(() => api.listAccounts(), [api]);
  const entityAccounts = (accounts.value ?? []).filter(
    a => a.owner.startsWith('user:') || a.owner.startsWith('group:'),
  );
  const account =
    accounts.value?.find(a => a.id === chosen) ??
    entityAccounts[0] ??
    accounts.value?.[0];
  const ledger = useAsyncRetry(
    async () => (account ? api.ledger(account.id) : undefined),
    [api, account?.id, account?.balanceMinor],
  );
  const income = useAsyncRetry(
    async () => (account ? api.incomeByHost(account.id) : undefined),
    [api, account?.id, account?.balanceMinor],
  );
  const { retry } = accounts;
  useEffect(() => {
    // Charges land every period: keep the figures current.
    const timer = setInterval(retry, REFRESH_MS);
    return () => clearInterval(timer);
  }, [retry]);

  const lines = ledger.value?.lines ?? [];
  const bucket = bucketFor(lines);
  const series = spendOverTime(lines, bucket).map(p => ({
    ...p,
    label:
      bucket >= 86400_000
        ? new Date(p.at).toLocaleDateString()
        : new Date(p.at).toLocaleTimeString([], {
            hour: '2-digit',
            minute: '2-digit',
          }),
  }));
  const perInstance = totalsByInstance(lines);
  const earns = perInstance.some(t => t.earnedMinor > 0);
  const spends = perInstance.some(t => t.spentMinor > 0);

  const exportCsv = async () => {
    if (!account) return;
    const blob = await api.ledgerCsv(account.id);
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `ledger-${accountName(account.owner).replace(/\W+/g, '-')}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <Content>
      {accounts.error && <ErrorAlert error={accounts.error} />}
      {accounts.value && !accounts.value.length && (
        <Typography>
          No account yet: one opens with the first charge to you or your groups,
          or when an admin tops one up.
        </Typography>
      )}
      {account && (
        <Box display="flex" flexDirection="column" style={{ gap: 24 }}>
          <Box display="flex" alignItems="center" style={{ gap: 16 }}>
            <TextField
              select
              label="Account"
              variant="outlined"
              size="small"
              value={account.id}
              onChange={e => setChosen(e.target.value)}
              style={{ minWidth: 280 }}
            >
              {(accounts.value ?? []).map(a => (
                <MenuItem key={a.id} value={a.id}>
                  {accountName(a.owner)}
                </MenuItem>
              ))}
            </TextField>
            <Button variant="outlined" onClick={exportCsv}>
              Export ledger as CSV
            </Button>
          </Box>
          <AccountSummary account={account} />
          {ledger.error && <ErrorAlert error={ledger.error} />}
          <Box>
            <Typography variant="h6">Spend over time</Typography>
            {series.length ? (
              <div
                style={{ width: '100%', overflowX: 'auto' }}
                aria-label="Spend over time chart"
              >
                <BarChart data={series} width={760} height={260}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" />
                  <YAxis
                    tickFormatter={v => money.format(Number(v))}
                    width={90}
                  />
                  <Tooltip
                    formatter={v => [money.format(Number(v)), 'Spent']}
                  />
                  <Bar dataKey="spentMinor" fill="#3f51b5" />
                </BarChart>
              </div>
            ) : (
              <Typography variant="body2" color="textSecondary">
                Nothing charged to this account yet.
              </Typography>
            )}
          </Box>
          {income.error && <ErrorAlert error={income.error} />}
          {!!income.value?.length && (
            <SimpleTable
              title="Income per host to date"
              note="Credited to this account for instances on each host, after fees"
              head={['Host', 'Instances', 'Income']}
              rows={income.value.map(h => [
                h.hostName,
                h.instances,
                money.format(h.incomeMinor),
              ])}
            />
          )}
          {(spends || earns) && (
            <SimpleTable
              title={
                earns && !spends
                  ? 'Income per instance to date'
                  : 'Cost per instance to date'
              }
              note={
                ledger.value?.truncated
                  ? 'From the newest 2,000 ledger lines'
                  : undefined
              }
              head={[
                'Instance',
                ...(spends ? ['Cost'] : []),
                ...(earns ? ['Income'] : []),
              ]}
              rows={perInstance.map(t => [
                t.name,
                ...(spends ? [money.format(t.spentMinor)] : []),
                ...(earns ? [money.format(t.earnedMinor)] : []),
              ])}
            />
          )}
          <SimpleTable
            title="Ledger"
            note={
              lines.length > 50
                ? 'The newest 50 lines; export for all'
                : undefined
            }
            head={['#', 'When', 'What', 'Amount', ...(mayReverse ? [''] : [])]}
            rows={lines.slice(0, 50).map(l => [
              `#${l.transactionId}`,
              new Date(l.at).toLocaleString(),
              describeLedgerLine(l),
              money.format(l.amountMinor),
              ...(mayReverse
                ? [
                    isReversible(l) ? (
                      <Button
                        size="small"
                        aria-label={`Reverse #${l.transactionId}`}
                        onClick={() => setReversing(l)}
                      >
                        Reverse
                      </Button>
                    ) : null,
                  ]
                : []),
            ])}
          />
          {reversing && (
            <ReverseDialog
              line={reversing}
              reverse={reason =>
                api.reverse(account.id, reversing.transactionId, reason)
              }
              onClose={reversed => {
                setReversing(undefined);
                if (reversed) {
                  // The balance, the ledger and income all moved.
                  accounts.retry();
                  ledger.retry();
                  income.retry();
                }
              }}
            />
          )}
        </Box>
      )}
    </Content>
  );
}
