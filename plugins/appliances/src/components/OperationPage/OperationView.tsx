import { useEffect, useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  describeSize,
  isCatalogued,
} from '@tempest/backstage-plugin-appliances-common';
import {
  Instance,
  Operation,
  OperationStep,
  hostingApi,
} from '../../hosting/hostingApi';
import { StepDetail, stepProgressCaption } from './StepDetail';
import { MoveEnds, migrationStepLabel, moveEndsOf } from './migrationSteps';
import { useMoney } from '../../money/useMoney';
import { ApplianceLink, HostLink, InstanceLink } from '../EntityLinks';

const FINISHED = new Set(['succeeded', 'failed']);

/** How a move ended, or is ending: where the instance is now, or that it was reverted and why. */
function MoveOutcome(props: {
  operation: Operation;
  instance?: Instance;
  move: MoveEnds;
}) {
  const { operation, instance, move } = props;
  const name = instance?.hostname ?? 'The instance';
  const failedStep = operation.failedStep
    ? ` at "${migrationStepLabel(
        operation.failedStep as OperationStep['name'],
        move,
      )}"`
    : '';
  if (operation.state === 'succeeded')
    return (
      <Alert severity="success">
        {name} is on {instance?.hostName ?? move.to} now
        {instance ? `, ${instance.state}` : ''}.
      </Alert>
    );
  if (operation.state === 'failed')
    return (
      <Alert severity="error">
        The move failed{failedStep} and was reverted: {name} stays
        {instance ? ` ${instance.state}` : ''} on{' '}
        {instance?.hostName ?? move.from ?? 'its host'}. Why:{' '}
        {operation.error ?? 'no reason was recorded'}
      </Alert>
    );
  if (operation.state === 'rolling-back')
    return (
      <Alert severity="warning">
        Reverting the move{failedStep}: {operation.error}
      </Alert>
    );
  return null;
}

/**
 * Follows an operation live: its steps, progress, download speed and disks,
 * and the instance's placement reason; for a move, each step in words, the
 * disk transfer's progress, and where the instance ended up or why the move
 * was reverted.
 */
export function OperationView(props: { operationId: string; pollMs?: number }) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();
  const [operation, setOperation] = useState<Operation>();
  const [instance, setInstance] = useState<Instance>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    const api = hostingApi({ discoveryApi, fetchApi });
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const op = await api.getOperation(props.operationId);
        if (stopped) return;
        setOperation(op);
        setInstance(await api.getInstance(op.instanceId));
        setError(undefined);
        if (!FINISHED.has(op.state))
          timer = setTimeout(poll, props.pollMs ?? 1000);
      } catch (e) {
        if (!stopped) setError(e as Error);
      }
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [discoveryApi, fetchApi, props.operationId, props.pollMs]);

  if (error) return <ResponseErrorPanel error={error} />;
  if (!operation) return <Progress />;
  const isMove = operation.kind === 'migrate';
  const move = isMove ? moveEndsOf(operation, instance) : undefined;
  // A move's placement is its own place step's; the instance's is the provisioning's.
  const placement: Instance['placement'] = isMove
    ? (operation.steps.find(s => s.name === 'place')?.detail?.decision as
        Instance['placement'] | undefined)
    : instance?.placement;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={8}>
        <InfoCard
          title={`${isMove ? 'Moving' : 'Provisioning'} ${instance?.hostname ?? ''}`}
          subheader={`Operation ${operation.id} · ${operation.state}`}
        >
          {move && (
            <MoveOutcome
              operation={operation}
              instance={instance}
              move={move}
            />
          )}
          {!isMove && operation.state === 'failed' && (
            <Alert severity="error">
              {operation.failedStep} failed; everything done before it was
              undone. {operation.error}
            </Alert>
          )}
          {!isMove && operation.state === 'rolling-back' && (
            <Alert severity="warning">Rolling back: {operation.error}</Alert>
          )}
          {/* Fixed columns: a long detail (a path, an error) wraps in its own column instead of squeezing the others. */}
          <Table
            size="small"
            aria-label="steps"
            style={{ tableLayout: 'fixed' }}
          >
            <TableHead>
              <TableRow>
                <TableCell style={{ width: '30%' }}>Step</TableCell>
                <TableCell style={{ width: '6.5em' }}>State</TableCell>
                <TableCell style={{ width: '18%' }}>Progress</TableCell>
                <TableCell>Detail</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {operation.steps.map(step => (
                <TableRow key={step.name}>
                  <TableCell>
                    {move ? migrationStepLabel(step.name, move) : step.name}
                  </TableCell>
                  <TableCell style={{ whiteSpace: 'nowrap' }}>
                    {step.state}
                  </TableCell>
                  <TableCell>
                    <LinearProgress
                      variant="determinate"
                      value={Math.round(step.progress * 100)}
                      color={step.state === 'failed' ? 'secondary' : 'primary'}
                      aria-label={`${step.name} progress`}
                    />
                    <Typography variant="caption">
                      {stepProgressCaption(step)}
                    </Typography>
                  </TableCell>
                  <TableCell style={{ overflowWrap: 'anywhere' }}>
                    <StepDetail step={step} move={move} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title={isMove ? 'Destination' : 'Placement'}>
          {placement ? (
            <>
              <Typography paragraph>{placement.summary}</Typography>
              {placement.rejected?.length > 0 && (
                <Table size="small" aria-label="rejected hosts">
                  <TableBody>
                    {placement.rejected.map(r => (
                      <TableRow key={r.hostId}>
                        <TableCell>{r.hostName}</TableCell>
                        <TableCell>
                          {r.reason}: {r.detail}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </>
          ) : (
            <Typography>Not placed yet.</Typography>
          )}
        </InfoCard>
        {instance && (
          <InfoCard title="Instance">
            <StructuredMetadataTable
              metadata={{
                state: instance.state,
                appliance: <ApplianceLink applianceId={instance.applianceId} />,
                host: <HostLink hostName={instance.hostName} />,
                size: describeSize(instance.size),
                'price (locked)':
                  instance.price?.pricePerHourMinor === undefined
                    ? '—'
                    : money.price(instance.price.pricePerHourMinor, 3600),
                catalog: isCatalogued(instance.state) ? (
                  <InstanceLink instance={instance} />
                ) : (
                  '—'
                ),
              }}
            />
          </InfoCard>
        )}
      </Grid>
    </Grid>
  );
}
