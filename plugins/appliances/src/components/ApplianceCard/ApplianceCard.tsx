import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ApplianceDetail } from '../ApplianceDetail';

export const APPLIANCE_ID_ANNOTATION = 'tempest.io/appliance-id';

/** The appliance card on virtual-appliance entities: hardware, signature, dependencies, Provision. */
export function ApplianceCard() {
  const { entity } = useEntity();
  const id =
    entity.metadata.annotations?.[APPLIANCE_ID_ANNOTATION] ??
    entity.metadata.name;
  return (
    <InfoCard
      title="Virtual appliance"
      deepLink={{
        title: 'All versions and details',
        link: `/appliances/${encodeURIComponent(id)}`,
      }}
    >
      <ApplianceDetail id={id} compact />
    </InfoCard>
  );
}
