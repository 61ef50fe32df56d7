import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Stop an instance picked in the form, at the version it has now',
    example: yaml.stringify({
      steps: [
        {
          id: 'power',
          action: 'appliances:instance:action',
          input: { instance: '${{ parameters.instance }}', action: 'stop' },
        },
      ],
    }),
  },
  {
    description:
      'Delete an instance only if nobody changed it since the user saw version 7',
    example: yaml.stringify({
      steps: [
        {
          id: 'delete',
          action: 'appliances:instance:action',
          input: {
            instance: 'resource:default/web-1',
            action: 'delete',
            expectedVersion: 7,
          },
        },
      ],
    }),
  },
];
