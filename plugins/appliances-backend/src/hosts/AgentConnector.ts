import {
  AgentClient,
  createAgentClient,
} from '@tempest/backstage-plugin-appliances-common/agent';
import { BackendPki } from './BackendPki';

/** One mutual-TLS client per agent URL, kept alive and reused. */
export class AgentConnector {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly pki: Pick<BackendPki, 'ca' | 'client'>,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  forHost(host: { name: string; agentUrl: string }): AgentClient {
    const key = `${host.name} ${host.agentUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      client = createAgentClient({
        baseUrl: host.agentUrl,
        ca: this.pki.ca.cert,
        cert: this.pki.client.cert,
        key: this.pki.client.key,
        timeoutMs: this.options.timeoutMs ?? 30_000,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  close() {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
