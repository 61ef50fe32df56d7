import { InfoCard } from '@backstage/core-components';
import type { ScaffolderTaskOutput } from '@backstage/plugin-scaffolder-react';
import { DefaultTemplateOutputs } from '@backstage/plugin-scaffolder-react/alpha';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { CopyCommand } from '../CopyCommand';

/**
 * What the Register host template leaves: its links, and the one-time
 * enrolment command whole, with a copy button and its expiry in local time.
 */
export function RegisterHostOutputs(props: { output?: ScaffolderTaskOutput }) {
  const output = props.output ?? {};
  const command = output.enrolCommand as string | undefined;
  const expires = output.enrolmentExpiresAt as string | undefined;
  if (!command) return <DefaultTemplateOutputs output={output} />;
  return (
    <>
      <DefaultTemplateOutputs output={{ links: output.links }} />
      <Box mt={2}>
        <InfoCard title="Enrol the agent">
          <Typography paragraph>
            Run this on the host
            {expires ? ` before ${new Date(expires).toLocaleString()}` : ''}; it
            works once. A new command comes from My hosts.
          </Typography>
          <CopyCommand command={command} label="enrolment command" />
        </InfoCard>
      </Box>
    </>
  );
}
