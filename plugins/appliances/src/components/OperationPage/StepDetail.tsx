import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { OperationStep, formatSpeed } from '../../hosting/hostingApi';
import type { MoveEnds } from './migrationSteps';

type Detail = Record<string, any>;

const MiB = 1048576;

/** `40.0 KiB`, `3.0 MiB`, `1.2 GiB`. */
function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function formatSize(mib: number): string {
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** What the power-on step did: nothing (the host was on), powering on, or the host it gave up on. */
function powerOnLine(state: string, detail: Detail): string {
  if (state === 'done')
    return detail.poweredOn
      ? `${detail.hostName} powered on over IPMI; its agent answered after ${detail.waitedSeconds} s`
      : `${detail.hostName ?? 'the host'} was already on`;
  if (detail.poweringOn)
    return `powering on ${detail.hostName} over IPMI, waiting for its agent`;
  if (detail.lastError) return `${detail.lastError}; trying the next host`;
  return '';
}

/** `1.2 of 5.0 GiB at 40.0 MiB/s, about 96 s left`: a transfer's bytes in the total's unit. */
function bytesLine(done: number, total?: number, speed?: number): string {
  const unit = total && total >= 1024 * MiB ? 1024 * MiB : MiB;
  const amount = total
    ? `${(done / unit).toFixed(1)} of ${formatBytes(total)}`
    : formatBytes(done);
  const rate = formatSpeed(speed);
  const left = total && speed ? Math.ceil((total - done) / speed) : undefined;
  return `${amount}${rate ? ` at ${rate}` : ''}${
    left !== undefined && left > 0 ? `, about ${left} s left` : ''
  }`;
}

/** `appliance webserv 1.1.0: 3.0 of 7.5 MiB at 2.0 MiB/s, about 3 s left`. */
function downloadLine(current: Detail): string {
  const what = `${current.kind} ${current.name} ${current.version}`;
  const received = current.receivedBytes as number | undefined;
  if (received === undefined) return what;
  return `${what}: ${bytesLine(received, current.totalBytes, current.speedBytesPerSecond)}`;
}

/** The disk's pull from the source: bytes, speed and a bar of its own while it runs. */
function TransferDetail(props: { step: OperationStep; detail: Detail }) {
  const { step, detail } = props;
  const from = detail.from ?? 'the old host';
  const to = detail.to ?? 'the new host';
  const total = detail.bytesTotal as number | undefined;
  const done = detail.bytesDone as number | undefined;
  if (step.state === 'done')
    return (
      <>
        {total !== undefined || done !== undefined
          ? `${formatBytes((total ?? done)!)} pulled from ${from} to ${to}`
          : `pulled from ${from} to ${to}`}
      </>
    );
  if (step.state !== 'running') return <></>;
  if (done === undefined)
    return <>{`${to} is starting to pull the disk from ${from}`}</>;
  return (
    <>
      <Typography variant="body2">
        {`${to} pulling from ${from}: ${bytesLine(done, total, detail.speedBytesPerSecond)}`}
      </Typography>
      {total ? (
        <LinearProgress
          variant="determinate"
          value={Math.round((done / total) * 100)}
          aria-label="disk transfer"
        />
      ) : null}
    </>
  );
}

/** The running guest's move: memory and writable disk layers sent while it runs, then its pause. */
function LiveMoveDetail(props: { step: OperationStep; detail: Detail }) {
  const { step, detail } = props;
  const from = detail.from ?? 'the old host';
  const to = detail.to ?? 'the new host';
  const total = detail.bytesTotal as number | null | undefined;
  const done = detail.bytesDone as number | undefined;
  if (step.state === 'done') {
    const sent =
      done !== undefined
        ? `${formatBytes(done)} of memory and disk sent from ${from} to ${to} while it ran`
        : `moved from ${from} to ${to} while it ran`;
    const pause =
      typeof detail.downtimeMs === 'number'
        ? `; paused for ${detail.downtimeMs.toLocaleString('en')} ms`
        : '';
    return <>{`${sent}${pause}`}</>;
  }
  if (step.state !== 'running') return <></>;
  if (done === undefined)
    return <>{`${from} is starting to send the running instance to ${to}`}</>;
  return (
    <>
      <Typography variant="body2">
        {`${from} sending memory and disk to ${to}: ${bytesLine(done, total ?? undefined, detail.speedBytesPerSecond)}`}
      </Typography>
      {total ? (
        <LinearProgress
          variant="determinate"
          value={Math.min(100, Math.round((done / total) * 100))}
          aria-label="live move"
        />
      ) : null}
    </>
  );
}

function volumeLine(v: Detail) {
  return `${v.role} disk ${v.name} ${formatSize(v.sizeMiB)}`;
}

/**
 * What a step did or is doing, with the image download's or the disk
 * transfer's own progress bar while one runs. `move` names a migration's
 * source and destination hosts.
 */
export function StepDetail(props: { step: OperationStep; move?: MoveEnds }) {
  const { step, move } = props;
  const detail = (step.detail ?? {}) as Detail;
  if (step.error) return <>{step.error}</>;
  switch (step.name) {
    case 'install-images': {
      const current = detail.current as Detail | undefined;
      const layers = (detail.layers as Detail[] | undefined) ?? [];
      const verified = layers
        .map(l => `${l.kind} ${l.name} ${l.version} verified`)
        .join(', ');
      if (step.state !== 'running' || !current) return <>{verified}</>;
      const fraction =
        current.totalBytes && current.receivedBytes !== undefined
          ? current.receivedBytes / current.totalBytes
          : undefined;
      return (
        <>
          {verified && <Typography variant="body2">{verified}</Typography>}
          <Typography variant="body2">{downloadLine(current)}</Typography>
          {fraction !== undefined && (
            <LinearProgress
              variant="determinate"
              value={Math.round(fraction * 100)}
              aria-label={`${current.kind} ${current.name} download`}
            />
          )}
        </>
      );
    }
    case 'create-disk': {
      if (!detail.disk) return <></>;
      const volumes = (detail.volumes as Detail[] | undefined) ?? [];
      const made = [
        `instance disk ${detail.disk}${detail.sizeGiB ? ` ${detail.sizeGiB} GiB` : ''} with its seed`,
        ...volumes.map(volumeLine),
      ].join(', ');
      return (
        <>
          <Typography variant="body2">{made}</Typography>
          {step.state === 'running' && detail.current && (
            <Typography variant="body2">
              creating the {volumeLine(detail.current)}
            </Typography>
          )}
        </>
      );
    }
    case 'place':
      return <>{detail.decision?.summary ?? ''}</>;
    case 'reserve-capacity':
      return <>{detail.hostName ? `on ${detail.hostName}` : ''}</>;
    case 'power-on':
      return <>{powerOnLine(step.state, detail)}</>;
    case 'export':
      return (
        <>
          {detail.totalBytes !== undefined
            ? `${move?.from ?? 'the old host'} offers ${formatBytes(detail.totalBytes)} in ${detail.files} ${detail.files === 1 ? 'file' : 'files'}`
            : ''}
        </>
      );
    case 'transfer':
      return <TransferDetail step={step} detail={detail} />;
    case 'receive':
      return (
        <>
          {step.state === 'done'
            ? `${detail.hostName ?? move?.to ?? 'the new host'} is ready, on network ${detail.network}`
            : ''}
        </>
      );
    case 'live-move':
      return <LiveMoveDetail step={step} detail={detail} />;
    case 'commit':
      return (
        <>
          {step.state === 'done'
            ? `the instance is on ${move?.to ?? 'the new host'} now`
            : ''}
        </>
      );
    case 'clean-up':
      if (detail.leftBehind) return <>{String(detail.leftBehind)}</>;
      return (
        <>
          {step.state === 'done'
            ? `nothing left on ${move?.from ?? 'the old host'}`
            : ''}
        </>
      );
    default:
      if (detail.domain)
        return (
          <>
            domain {detail.domain}
            {detail.state ? ` ${detail.state}` : ''}
          </>
        );
      return <>{detail.entityRef ? String(detail.entityRef) : ''}</>;
  }
}

/** The step's share done, with the speed while an image downloads or the disk transfers. */
export function stepProgressCaption(step: OperationStep): string {
  const percent = `${Math.round(step.progress * 100)}%`;
  const detail = step.detail as Detail | undefined;
  let speed: string | undefined;
  if (step.state === 'running' && step.name === 'install-images')
    speed = formatSpeed(detail?.current?.speedBytesPerSecond);
  if (
    step.state === 'running' &&
    (step.name === 'transfer' || step.name === 'live-move')
  )
    speed = formatSpeed(detail?.speedBytesPerSecond);
  return speed ? `${percent} · ${speed}` : percent;
}
