import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { ProvisionButton, provisionTemplateUrl } from './ProvisionButton';

describe('ProvisionButton', () => {
  it('opens the Provision appliance template with the appliance picked', async () => {
    await renderInTestApp(
      <ProvisionButton applianceEntityRef="resource:default/sample.webserv.1.1.0" />,
    );
    const href = screen
      .getByText('Provision')
      .closest('a')!
      .getAttribute('href')!;
    const url = new URL(href, 'http://app');
    expect(url.pathname).toBe('/create/templates/default/provision-appliance');
    expect(JSON.parse(url.searchParams.get('formData')!)).toEqual({
      appliance: 'resource:default/sample.webserv.1.1.0',
    });
    expect(provisionTemplateUrl()).toBe(
      '/create/templates/default/provision-appliance',
    );
  });
});
