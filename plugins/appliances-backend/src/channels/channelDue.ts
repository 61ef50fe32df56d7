import { ChannelRecord } from '../database/ChannelStore';

export const DEFAULT_REFRESH_MINUTES = 60;
/** The longest a failing channel waits for its next try. */
export const MAX_RETRY_MS = 5 * 60_000;
/** The shortest: a channel that fails at start-up (say, its server not listening yet) is tried again soon. */
export const MIN_RETRY_MS = 15_000;

/**
 * When a channel should next be fetched. A healthy one after its refresh
 * period; a failing one sooner, backing off with the length of the outage
 * (a quarter of the time since it last worked, 15 s to 5 min), so a brief
 * failure heals quickly and a dead server is not hammered.
 */
export function channelDue(
  channel: Pick<ChannelRecord, 'refreshMinutes' | 'createdAt' | 'status'>,
): Date {
  const { status } = channel;
  if (!status.lastFetchAt) return new Date(0);
  const last = Date.parse(status.lastFetchAt);
  const periodMs = (channel.refreshMinutes ?? DEFAULT_REFRESH_MINUTES) * 60_000;
  if (status.result !== 'failed') return new Date(last + periodMs);
  const workedAt = Date.parse(status.lastSuccessAt ?? channel.createdAt);
  const outageMs = Math.max(0, last - workedAt);
  const retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, outageMs / 4));
  return new Date(last + Math.min(retryMs, periodMs));
}
