import { BmcDriver, BmcTarget } from './BmcDriver';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Powers a chassis off: a soft (ACPI) shutdown first, then a hard one if the
 * operating system has not switched off within `softTimeoutMs`. Says which it took.
 */
export async function powerOff(
  driver: BmcDriver,
  target: BmcTarget,
  options: { softTimeoutMs: number; pollMs?: number },
): Promise<'soft' | 'hard' | 'already'> {
  if ((await driver.status(target)) === 'off') return 'already';
  await driver.off(target, 'soft');
  const deadline = Date.now() + options.softTimeoutMs;
  const pollMs = options.pollMs ?? 1000;
  while (Date.now() < deadline) {
    if ((await driver.status(target)) === 'off') return 'soft';
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
  if ((await driver.status(target)) === 'off') return 'soft';
  await driver.off(target, 'hard');
  return 'hard';
}
