import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';
import type { Logger } from 'pino';
import { request } from 'undici';
import type { AgentInfo } from '../createAgentServices';
import type { StatsSnapshot } from '../stats/StatsSampler';

export interface HeartbeatOptions {
  url: string;
  intervalMs: number;
  token?: string;
  /** Where the backend can reach this agent, if known. */
  agentUrl?: string;
  collect(): Promise<{ info: AgentInfo; stats: StatsSnapshot }>;
  logger: Logger;
}

/** The backend's heartbeat body, with the agent's info and stats in it. */
export type Heartbeat = Omit<
  AppliancesApiComponents['schemas']['Heartbeat'],
  'info' | 'stats'
> & { info: AgentInfo; stats: StatsSnapshot };

/**
 * POSTs the agent's name, info and stats to the backend on an interval. A
 * backend that is down is logged once per outage and retried next interval.
 */
export class HeartbeatSender {
  private timer?: NodeJS.Timeout;
  private failing = false;
  private inFlight?: Promise<boolean>;

  constructor(private readonly options: HeartbeatOptions) {}

  start() {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Sends one heartbeat; resolves whether the backend accepted it. */
  beat(): Promise<boolean> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(): Promise<boolean> {
    const { logger } = this.options;
    try {
      const { info, stats } = await this.options.collect();
      const body: Heartbeat = {
        name: info.name,
        sentAt: new Date().toISOString(),
        ...(this.options.agentUrl ? { agentUrl: this.options.agentUrl } : {}),
        info,
        stats,
      };
      const response = await request(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.token
            ? { authorization: `Bearer ${this.options.token}` }
            : {}),
        },
        body: JSON.stringify(body),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await response.body.dump();
      if (response.statusCode >= 300)
        throw new Error(`backend answered ${response.statusCode}`);
      if (this.failing)
        logger.info(
          { url: this.options.url },
          'heartbeat reaches the backend again',
        );
      this.failing = false;
      return true;
    } catch (e) {
      if (!this.failing)
        logger.warn(
          { url: this.options.url, err: (e as Error).message },
          'heartbeat failed; will retry',
        );
      this.failing = true;
      return false;
    }
  }
}
