import type {
  Instance,
  Operation,
  OperationStep,
} from '../../hosting/hostingApi';

/** Where a move goes from and to, as far as the operation knows yet. */
export type MoveEnds = { from?: string; to?: string };

const detailOf = (op: Operation, name: string) =>
  (op.steps.find(s => s.name === name)?.detail ?? {}) as Record<string, any>;

/**
 * The source and destination host names of a migrate operation: the
 * destination once placed (reserved), the source from the transfer or,
 * until the commit moves it, the instance's own host.
 */
export function moveEndsOf(op: Operation, instance?: Instance): MoveEnds {
  const committed = op.steps.some(
    s => s.name === 'commit' && s.state === 'done',
  );
  return {
    from:
      (detailOf(op, 'transfer').from as string | undefined) ??
      (committed ? undefined : instance?.hostName),
    to:
      (detailOf(op, 'reserve-capacity').hostName as string | undefined) ??
      (detailOf(op, 'place').decision?.chosen?.hostName as string | undefined),
  };
}

/** What a migrate operation's step does, in words: `Pull the disk from h1`. */
export function migrationStepLabel(
  name: OperationStep['name'],
  ends: MoveEnds,
): string {
  const from = ends.from ?? 'the old host';
  const to = ends.to ?? 'the new host';
  switch (name) {
    case 'place':
      return 'Choose the new host';
    case 'reserve-capacity':
      return `Reserve room on ${to}`;
    case 'install-images':
      return `Install the image layers on ${to}`;
    case 'export':
      return `Offer the disk from ${from}`;
    case 'transfer':
      return `Pull the disk from ${from}`;
    case 'define':
      return `Define the instance on ${to}`;
    case 'receive':
      return `Get ${to} ready to receive the running instance`;
    case 'live-move':
      return `Move the running instance to ${to}`;
    case 'commit':
      return 'Commit the move';
    case 'clean-up':
      return `Remove the old copy from ${from}`;
    default:
      return name;
  }
}
