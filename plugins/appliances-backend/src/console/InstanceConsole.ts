import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type WebSocket from 'ws';
import { AgentConnector } from '../hosts/AgentConnector';
import { HostStore } from '../hosts/HostStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { agentCall } from '../operations/agentCall';
import { ConsoleTicket, ConsoleTicketStore } from './ConsoleTicketStore';

/** States in which a guest has a display to open. */
const WITH_DISPLAY = ['started', 'suspended'];
/** States in which its domain (and serial log) exists on its host. */
const WITH_DOMAIN = ['started', 'suspended', 'stopped', 'stored'];

export interface InstanceConsoleOptions {
  tickets: ConsoleTicketStore;
  instances: InstanceStore;
  hosts: HostStore;
  agents: AgentConnector;
  ticketTtlMs: number;
}

/** An instance's console: tickets for its display, the display itself through the agent, and its serial log. */
export class InstanceConsole {
  constructor(private readonly options: InstanceConsoleOptions) {}

  /** A ticket for the caller, who may already open this instance's console. */
  async issueTicket(
    instance: Instance,
    principalRef: string,
  ): Promise<ConsoleTicket> {
    this.requireDisplay(instance);
    return this.options.tickets.issue(
      instance.id,
      principalRef,
      this.options.ticketTtlMs,
    );
  }

  /**
   * Redeems a ticket for the instance it names and opens the agent's
   * console websocket, waiting until it is open (and paused: resume it
   * once its messages have somewhere to go). Throws NotFoundError for a
   * ticket that is unknown, used, expired or for another instance.
   */
  async connect(
    instanceId: string,
    ticket: string,
  ): Promise<{ agent: WebSocket; instance: Instance; principalRef: string }> {
    const redeemed = await this.options.tickets.redeem(ticket);
    if (!redeemed || redeemed.instanceId !== instanceId)
      throw new NotFoundError(
        'This console ticket is unknown, already used or expired; open the console again',
      );
    const instance = await this.options.instances.get(instanceId);
    if (!instance) throw new NotFoundError(`No instance '${instanceId}'`);
    this.requireDisplay(instance);
    const host = await this.host(instance);
    const agent = this.options.agents.openConsole(host, instance.domainName!);
    await new Promise<void>((resolve, reject) => {
      agent.once('open', () => {
        // Held until the viewer is connected: the display speaks first.
        agent.pause();
        resolve();
      });
      agent.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', chunk => (body += chunk));
        res.on('end', () => {
          const message = agentErrorMessage(body);
          agent.terminate();
          reject(
            res.statusCode === 409
              ? new ConflictError(`The instance has no display now: ${message}`)
              : new ServiceUnavailableError(
                  `The host's agent refused the console: ${message}`,
                ),
          );
        });
      });
      agent.once('error', e =>
        reject(
          new ServiceUnavailableError(
            `The host's agent could not be reached for the console: ${e.message}`,
          ),
        ),
      );
    });
    return { agent, instance, principalRef: redeemed.principalRef };
  }

  /** The tail of the instance's serial console, for guests without graphics. */
  async serialLog(instance: Instance): Promise<string> {
    if (!WITH_DOMAIN.includes(instance.state) || !instance.domainName)
      throw new ConflictError(
        `Instance ${instance.hostname} is ${instance.state}: it has no serial log on a host yet`,
      );
    const host = await this.host(instance);
    try {
      const { data } = await agentCall(
        'read the serial log',
        this.options.agents.forHost(host).GET('/v1/domains/{name}/console', {
          params: { path: { name: instance.domainName } },
          parseAs: 'text',
        }),
      );
      return String(data ?? '');
    } catch (e) {
      throw new ServiceUnavailableError(
        `The serial log of ${instance.hostname} could not be read from host ${host.name}: ${(e as Error).message}`,
      );
    }
  }

  private requireDisplay(instance: Instance) {
    if (
      !WITH_DISPLAY.includes(instance.state) ||
      !instance.hostId ||
      !instance.domainName
    )
      throw new ConflictError(
        `Instance ${instance.hostname} is ${instance.state}: its console opens while it is started or suspended`,
      );
  }

  private async host(instance: Instance) {
    const host = instance.hostId
      ? await this.options.hosts.get(instance.hostId)
      : undefined;
    if (!host)
      throw new ServiceUnavailableError(
        `Instance ${instance.hostname} has no host to reach`,
      );
    return host;
  }
}

/** The message of the agent's `{ error: { message } }` body, or the body itself. */
function agentErrorMessage(body: string): string {
  if (!body.trimStart().startsWith('{')) return body;
  const parsed = JSON.parse(body) as { error?: { message?: string } };
  return parsed.error?.message ?? body;
}
