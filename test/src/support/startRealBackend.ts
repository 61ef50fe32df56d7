import fs from 'node:fs';
import path from 'node:path';
import { TEST_ONLY_PUBLIC_KEY } from './buildSignedChannel';
import { freePort } from './freePort';
import { Backend, startBackend } from './startBackend';
import { waitFor } from './waitFor';

/**
 * The backend of the real-guest tests: no embedded hosts, the sample image
 * channel `real` and its OS image served by itself, and the guest signed in
 * as an admin and a provider (its token lands in `headers`).
 */
export async function startRealBackend(options: {
  work: string;
  channelsDir: string;
  osDir: string;
  osImage: string;
  headers: Record<string, string>;
  /** How often recorded states are aligned with the agents' (the default is the backend's). */
  reconcileIntervalSeconds?: number;
}): Promise<{ backend: Backend; base: string }> {
  const { work, channelsDir, osDir, osImage } = options;
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const api = `${base}/api/appliances`;
  const configFile = path.join(work, 'app-config.real.yaml');
  const reconcile = options.reconcileIntervalSeconds
    ? `  instances: { reconcileIntervalSeconds: ${options.reconcileIntervalSeconds} }\n`
    : '';
  fs.writeFileSync(
    configFile,
    `backend:
  baseUrl: ${base}
  listen: { port: ${port} }
catalog:
  providers:
    tempestHosting:
      schedule: { frequency: { seconds: 5 }, timeout: { minutes: 1 } }
appliances:
  dataDir: ${work}/backend-data
  embeddedHosts: { count: 0 }
  provisioning: { addressWaitSeconds: 600 }
${reconcile}  staticChannels: { directory: ${channelsDir} }
  channels:
    - id: real
      url: ${api}/static/channels/real/feed.xml
      owner: group:default/tempest-admins
      trustedKeys: [{ $file: ${TEST_ONLY_PUBLIC_KEY} }]
  osImageDirectory: ${osDir}
  osImages:
    - ostype: linux
      name: linux-base
      version: '1.0'
      url: ${api}/static/os-images/${osImage}
      signatureUrl: ${api}/static/os-images/${osImage}.asc
      trustedKeys: [{ $file: ${TEST_ONLY_PUBLIC_KEY} }]
`,
  );
  const backend = await startBackend({ port, configFile });
  await waitFor(
    'the guest to be an admin and a provider',
    async () => {
      const res = await fetch(`${base}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      const { backstageIdentity } = await res.json();
      options.headers.authorization = `Bearer ${backstageIdentity.token}`;
      const refs: string[] = backstageIdentity.identity.ownershipEntityRefs;
      return (
        refs.includes('group:default/tempest-admins') &&
        refs.includes('group:default/tempest-providers')
      );
    },
    120_000,
  );
  return { backend, base };
}
