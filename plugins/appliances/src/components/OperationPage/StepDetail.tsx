import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { OperationStep, formatSpeed } from '../../hosting/hostingApi';

type Detail = Record<string, any>;

const MiB = 1048576;

/** `3.0 MiB`, `1.2 GiB`. */
function formatBytes(bytes: number): string {
  return bytes >= 1024 * MiB
    ? `${(bytes / (1024 * MiB)).toFixed(1)} GiB`
    : `${(bytes / MiB).toFixed(1)} MiB`;
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

/** `appliance webserv 1.1.0: 3.0 of 7.5 MiB at 2.0 MiB/s, about 3 s left`. */
function downloadLine(current: Detail): string {
  const what = `${current.kind} ${current.name} ${current.version}`;
  const received = current.receivedBytes as number | undefined;
  const total = current.totalBytes as number | undefined;
  if (received === undefined) return what;
  // Both in the total's unit: `3.0 of 7.5 MiB`.
  const unit = total && total >= 1024 * MiB ? 1024 * MiB : MiB;
  const amount = total
    ? `${(received / unit).toFixed(1)} of ${formatBytes(total)}`
    : formatBytes(received);
  const speed = formatSpeed(current.speedBytesPerSecond);
  const left =
    total && current.speedBytesPerSecond
      ? Math.ceil((total - received) / current.speedBytesPerSecond)
      : undefined;
  return `${what}: ${amount}${speed ? ` at ${speed}` : ''}${
    left !== undefined && left > 0 ? `, about ${left} s left` : ''
  }`;
}

function volumeLine(v: Detail) {
  return `${v.role} disk ${v.name} ${formatSize(v.sizeMiB)}`;
}

/** What a step did or is doing, with the image download's own progress bar while one runs. */
export function StepDetail(props: { step: OperationStep }) {
  const { step } = props;
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

/** The step's share done, with the download speed while an image downloads. */
export function stepProgressCaption(step: OperationStep): string {
  const percent = `${Math.round(step.progress * 100)}%`;
  const current = (step.detail as Detail | undefined)?.current;
  const speed =
    step.name === 'install-images' && step.state === 'running'
      ? formatSpeed(current?.speedBytesPerSecond)
      : undefined;
  return speed ? `${percent} · ${speed}` : percent;
}
