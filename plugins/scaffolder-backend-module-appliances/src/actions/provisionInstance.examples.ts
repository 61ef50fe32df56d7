import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Provision an appliance picked in the form, on whichever host fits best',
    example: yaml.stringify({
      steps: [
        {
          id: 'provision',
          action: 'appliances:instance:provision',
          name: 'Provision',
          input: {
            appliance: '${{ parameters.appliance }}',
            hostname: '${{ parameters.hostname }}',
            cpuCores: '${{ parameters.cpuCores }}',
            memoryMb: '${{ parameters.memoryMb }}',
            storageMb: '${{ parameters.storageMb }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Provision on one host within a price limit of 150 minor units an hour',
    example: yaml.stringify({
      steps: [
        {
          id: 'provision',
          action: 'appliances:instance:provision',
          input: {
            appliance: 'resource:default/sample.webserv.1.1.0',
            hostname: 'web-1',
            cpuCores: 2,
            memoryMb: 2048,
            storageMb: 20480,
            host: 'resource:default/sim-host-1.host',
            maxPricePerHourMinor: 150,
          },
        },
      ],
    }),
  },
  {
    description:
      "Provision a DNS server in a domain, with the owner's SSH key and one of the appliance's variables",
    example: yaml.stringify({
      steps: [
        {
          id: 'provision',
          action: 'appliances:instance:provision',
          input: {
            appliance: 'resource:default/sample.dns.2.90-4',
            hostname: 'ns-1',
            cpuCores: 1,
            memoryMb: 256,
            storageMb: 1024,
            domain: 'lab.example.com',
            sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... me@laptop',
            variables: { DNS_RECORDS: 'www=10.0.0.8 mail=10.0.0.9' },
          },
        },
      ],
    }),
  },
];
