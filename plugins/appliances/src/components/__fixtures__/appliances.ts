import type {
  ApplianceDetail,
  Channel,
} from '@tempest/backstage-plugin-appliances-common';

export const sampleChannel: Channel = {
  id: 'sample',
  url: 'http://localhost:7007/feed.xml',
  owner: 'group:default/tempest-admins',
  trustedKeys: ['-----BEGIN PGP PUBLIC KEY BLOCK-----'],
  source: 'config',
  createdAt: '2026-11-23T00:00:00.000Z',
  status: {
    title: 'Tempest sample channel',
    result: 'ok',
    lastFetchAt: '2026-11-23T12:00:00.000Z',
    itemErrors: [
      {
        item: 'sample/dns',
        field: 'hardware.cpus',
        message: 'expected a whole number of CPUs, got "many"',
      },
    ],
  },
};

export const webserv: ApplianceDetail = {
  id: 'sample.webserv.1.0.0-0',
  channel: 'sample',
  provides: 'webserv',
  version: '1.0.0-0',
  latest: false,
  label: 'Simple Web Server',
  description: 'nginx serving static sites.',
  sizeMb: 1024,
  imageUrl: 'http://localhost:7007/webserv.tgz',
  signatureUrl: 'http://localhost:7007/webserv.tgz.asc',
  signature: { state: 'verified', provisionable: true },
  webpanel: '/upload.php',
  hardware: {
    cpus: 1,
    memoryKib: 524288,
    ostype: 'linux',
    disks: [
      { name: 'hda1', type: 'system', file: 'sys.img' },
      { name: 'hda3', type: 'swap', sizeMb: 128 },
    ],
  },
  dependencies: [
    { name: 'firewall', resolvedId: 'sample.firewall.1.0.9-1' },
    { name: 'emailserv', version: '1.0.0-0' },
  ],
  unresolvedDependencies: ['emailserv:1.0.0-0'],
  variables: [],
  definitionUrl: 'http://localhost:7007/webserv.xml',
  ingestedAt: '2026-11-23T12:00:00.000Z',
  versions: [
    {
      id: 'sample.webserv.1.1.0-0',
      channel: 'sample',
      version: '1.1.0-0',
      latest: true,
    },
    {
      id: 'sample.webserv.1.0.0-0',
      channel: 'sample',
      version: '1.0.0-0',
      latest: false,
    },
  ],
};
