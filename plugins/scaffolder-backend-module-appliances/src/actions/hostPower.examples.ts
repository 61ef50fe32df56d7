import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Power on a host picked in the form',
    example: yaml.stringify({
      steps: [
        {
          id: 'power',
          action: 'appliances:host:power',
          input: { host: '${{ parameters.host }}', action: 'on' },
        },
      ],
    }),
  },
  {
    description:
      'Power off a host for maintenance, stopping its instances cleanly first',
    example: yaml.stringify({
      steps: [
        {
          id: 'power',
          action: 'appliances:host:power',
          input: {
            host: 'resource:default/rack1.host',
            action: 'off',
            force: true,
          },
        },
      ],
    }),
  },
];
