import { useCallback, useEffect, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Instance, hostingApi } from '../../hosting/hostingApi';
import { errorSentence } from '../../errors/errorSentence';

/** The tail of the instance's serial console, for appliances without graphics. */
export function SerialLog(props: { instance: Instance }) {
  const { instance } = props;
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      setText(
        await hostingApi({ discoveryApi, fetchApi }).getSerialLog(instance.id),
      );
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setLoading(false);
    }
  }, [discoveryApi, fetchApi, instance.id]);

  useEffect(() => {
    load();
  }, [load]);

  return (
    <Box>
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        mb={1}
      >
        <Typography variant="body2">
          The last 64 KiB the guest wrote to its serial console.
        </Typography>
        <Button
          size="small"
          variant="outlined"
          disabled={loading}
          onClick={load}
        >
          {loading ? 'Refreshing…' : 'Refresh'}
        </Button>
      </Box>
      {error && (
        <Box mb={1}>
          <Alert severity="warning">{error}</Alert>
        </Box>
      )}
      <Box
        component="pre"
        aria-label={`Serial log of ${instance.hostname}`}
        m={0}
        p={1}
        style={{
          height: '60vh',
          overflow: 'auto',
          background: '#202020',
          color: '#e0e0e0',
          fontSize: 12,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-all',
        }}
      >
        {text === undefined
          ? ''
          : text || 'The serial console is empty so far.'}
      </Box>
    </Box>
  );
}
