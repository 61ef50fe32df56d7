import { Link } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import type { Instance } from '../../hosting/hostingApi';

/**
 * Where an instance is: the addresses its host's agent reports (DHCP), and
 * its webpanel at that address. A dash until it has one.
 */
export function InstanceAddress(props: {
  instance: Pick<Instance, 'addresses' | 'webpanelUrl' | 'mac'>;
  showMac?: boolean;
}) {
  const { addresses = [], webpanelUrl, mac } = props.instance;
  return (
    <>
      {addresses.length ? (
        addresses.map(a => (
          <Typography key={a} variant="body2" component="div">
            {a}
          </Typography>
        ))
      ) : (
        <Typography variant="body2" component="div">
          —
        </Typography>
      )}
      {props.showMac && mac && (
        <Typography variant="caption" color="textSecondary" component="div">
          MAC {mac}
        </Typography>
      )}
      {webpanelUrl && (
        <Typography variant="body2" component="div">
          <Link to={webpanelUrl} target="_blank" rel="noopener noreferrer">
            Webpanel
          </Link>
        </Typography>
      )}
    </>
  );
}
