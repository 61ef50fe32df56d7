import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Credit 250.00 to a team's account against an invoice",
    example: yaml.stringify({
      steps: [
        {
          id: 'top-up',
          action: 'appliances:account:top-up',
          input: {
            owner: 'group:default/team-a',
            amount: '250.00',
            reference: 'INV-2026-0042',
          },
        },
      ],
    }),
  },
];
