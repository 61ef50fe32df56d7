import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleAppliances } from './module';

describe('catalogModuleAppliances', () => {
  it('adds the appliance provider and the hosting provider', async () => {
    const addEntityProvider = jest.fn();
    await startTestBackend({
      extensionPoints: [
        [catalogProcessingExtensionPoint, { addEntityProvider }],
      ],
      features: [
        catalogModuleAppliances,
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    expect(
      addEntityProvider.mock.calls.map(([p]) => p.getProviderName()),
    ).toEqual(['tempest-appliances', 'tempest-appliance-hosting']);
  });
});
