import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AppliancesApi, appliancesApiRef } from '../../api';
import { ApplianceCard } from './ApplianceCard';
import { webserv } from '../__fixtures__/appliances';

describe('ApplianceCard', () => {
  it('shows the appliance behind a virtual-appliance entity', async () => {
    const getAppliance = jest.fn(async () => webserv);
    const entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'sample.webserv.1.0.0-0',
        annotations: { 'tempest.io/appliance-id': 'sample.webserv.1.0.0-0' },
      },
      spec: {
        type: 'virtual-appliance',
        owner: 'group:default/tempest-admins',
      },
    };
    await renderInTestApp(
      <EntityProvider entity={entity}>
        <ApplianceCard />
      </EntityProvider>,
      {
        apis: [
          [appliancesApiRef, { getAppliance } as unknown as AppliancesApi],
          [permissionApiRef, mockApis.permission()],
        ],
      },
    );
    expect(
      await screen.findByText('Simple Web Server 1.0.0-0'),
    ).toBeInTheDocument();
    expect(getAppliance).toHaveBeenCalledWith('sample.webserv.1.0.0-0');
    expect(screen.getByText('Provision')).toBeInTheDocument();
    expect(screen.getByText('All versions and details')).toBeInTheDocument();
  });
});
