import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register a host with per-hour running prices and per-day storage prices',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'appliances:host:register',
          input: {
            name: 'rack1-node4',
            cpuModel: 'AMD EPYC 7443',
            coreSpeedMhz: 2850,
            cpuCores: 24,
            memoryMb: 131072,
            storageMb: 2000000,
            speedUnitMhz: 1000,
            speedPriceMinor: 2,
            memoryUnitMb: 1024,
            memoryPriceMinor: 1,
            runningPeriodSeconds: 3600,
            storageUnitMb: 10240,
            storagePriceMinor: 3,
            storagePeriodSeconds: 86400,
            agentUrl: 'https://rack1-node4.example.net:7443',
          },
        },
      ],
    }),
  },
];
