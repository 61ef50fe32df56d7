import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Move a stopped instance picked in the form to the host picked (MigrationTargetPicker gives its name)',
    example: yaml.stringify({
      steps: [
        {
          id: 'migrate',
          action: 'appliances:instance:migrate',
          input: {
            instance: '${{ parameters.instance }}',
            host: '${{ parameters.host }}',
          },
        },
      ],
    }),
  },
  {
    description:
      "Move web-1 wherever Tempest finds room among its provider's hosts, only if nobody changed it since version 7",
    example: yaml.stringify({
      steps: [
        {
          id: 'migrate',
          action: 'appliances:instance:migrate',
          input: { instance: 'resource:default/web-1', expectedVersion: 7 },
        },
      ],
    }),
  },
];
