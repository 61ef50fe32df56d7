import {
  AuditorService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../hosts/BackendPki';
import { HostEnrolment } from '../hosts/HostEnrolment';
import { HostStore } from '../hosts/HostStore';
import { AppliancesRouter } from './types';

export type AgentRoutesOptions = {
  auditor: AuditorService;
  logger: LoggerService;
  discovery: DiscoveryService;
  hosts: HostStore;
  enrolment: HostEnrolment;
  heartbeatIntervalSeconds: number;
  osImageDirectory?: string;
};

/**
 * Routes agents call without a Backstage identity: enrolment (one-time
 * token) and heartbeats (the heartbeat token issued at enrolment). Both are
 * opened with an unauthenticated auth policy in plugin.ts.
 */
export function addAgentRoutes(
  router: AppliancesRouter,
  options: AgentRoutesOptions,
) {
  const { hosts, enrolment } = options;
  const ignoredAgentUrls = new Set<string>();

  router.post('/agent/enroll', async (req, res) => {
    const event = await options.auditor.createEvent({
      eventId: 'host-enrol',
      request: req,
      severityLevel: 'high',
      meta: {},
    });
    try {
      const result = await enrolment.enrol(req.body);
      await event.success({
        meta: { hostId: result.host.id, hostName: result.host.name },
      });
      const base = await options.discovery.getExternalBaseUrl('appliances');
      res.json({
        hostId: result.host.id,
        name: result.host.name,
        agentUrl: result.host.agentUrl,
        caCert: result.caCert,
        cert: result.cert,
        ...(result.key ? { key: result.key } : {}),
        heartbeatUrl: `${base}/agent/heartbeat`,
        heartbeatToken: result.heartbeatToken,
        heartbeatIntervalSeconds: options.heartbeatIntervalSeconds,
      });
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  });

  router.post('/agent/heartbeat', async (req, res) => {
    const match = /^Bearer (\S+)$/.exec(req.header('authorization') ?? '');
    if (!match)
      throw new AuthenticationError(
        'A heartbeat needs the token issued at enrolment',
      );
    const recorded = await hosts.recordHeartbeat(sha256Hex(match[1]), {
      info: req.body.info,
    });
    if (!recorded) throw new AuthenticationError('Unknown heartbeat token');
    const claimed = req.body.agentUrl;
    if (claimed && claimed !== recorded.host.agentUrl) {
      // Only the host's provider moves its agent URL; say so once per claim.
      const seen = `${recorded.host.id} ${claimed}`;
      if (!ignoredAgentUrls.has(seen)) {
        ignoredAgentUrls.add(seen);
        options.logger.warn(
          `Host ${recorded.host.name}: its agent says it is at ${claimed}, but the host's agent URL is ${recorded.host.agentUrl}; a heartbeat does not change it (its provider can, with PUT /hosts/${recorded.host.id}/agent-url)`,
        );
      }
    }
    if (recorded.cameOnline) {
      const event = await options.auditor.createEvent({
        eventId: 'host-online',
        severityLevel: 'low',
        meta: { hostId: recorded.host.id, hostName: recorded.host.name },
      });
      await event.success();
    }
    res.status(204).end();
  });

  if (options.osImageDirectory) {
    const root = path.resolve(options.osImageDirectory);
    router.get('/static/os-images/:file', async (req, res) => {
      const target = path.join(root, req.params.file);
      if (path.dirname(target) !== root || !fs.existsSync(target)) {
        throw new NotFoundError(`No OS image file ${req.params.file}`);
      }
      await new Promise<void>((resolve, reject) =>
        res.sendFile(target, { dotfiles: 'deny' }, err =>
          err ? reject(err) : resolve(),
        ),
      );
    });
  }
}
