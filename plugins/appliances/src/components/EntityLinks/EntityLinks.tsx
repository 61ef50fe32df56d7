import { Link } from '@backstage/core-components';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import {
  applianceEntityRef,
  hostEntityRef,
  instanceEntityRef,
  isCatalogued,
} from '@tempest/backstage-plugin-appliances-common';
import type { Instance } from '../../hosting/hostingApi';

/** An appliance by its catalog title, linking to its entity page. */
export function ApplianceLink(props: { applianceId: string }) {
  return (
    <EntityRefLink entityRef={applianceEntityRef(props.applianceId)} hideIcon />
  );
}

/** A host by name (its entity's title), linking to its entity page; a dash when there is none yet. */
export function HostLink(props: { hostName?: string }) {
  const entityPath = useEntityRefLink();
  if (!props.hostName) return <>—</>;
  return (
    <Link to={entityPath(hostEntityRef(props.hostName))}>{props.hostName}</Link>
  );
}

/**
 * An instance by hostname: to its entity page once it runs on a host, to
 * its provisioning while that is under way or failed.
 */
export function InstanceLink(props: {
  instance: Pick<Instance, 'hostname' | 'state' | 'operationId'>;
}) {
  const entityPath = useEntityRefLink();
  const { hostname, state, operationId } = props.instance;
  if (isCatalogued(state)) {
    return <Link to={entityPath(instanceEntityRef(hostname))}>{hostname}</Link>;
  }
  if (operationId) {
    return <Link to={`/appliances/operations/${operationId}`}>{hostname}</Link>;
  }
  return <>{hostname}</>;
}
