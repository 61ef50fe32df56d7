import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { AppliancesApiError } from '@tempest/backstage-plugin-appliances-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AppliancesApi, appliancesApiRef } from '../../api';
import { AppliancesPage } from './AppliancesPage';
import { sampleChannel, webserv } from '../__fixtures__/appliances';

function fakeApi(overrides: Partial<AppliancesApi>): AppliancesApi {
  return {
    getSummary: async () => ({ channels: 0 }),
    listChannels: async () => [],
    createChannel: async () => {
      throw new Error('not used');
    },
    listAppliances: async () => ({
      items: [webserv],
      totalCount: 1,
      offset: 0,
      limit: 20,
    }),
    getApplianceFacets: async () => ({
      ostypes: ['linux'],
      provides: ['webserv'],
      channels: ['sample'],
    }),
    getAppliance: async () => webserv,
    ...overrides,
  } as AppliancesApi;
}

const permissions = [permissionApiRef, mockApis.permission()] as const;

describe('AppliancesPage', () => {
  it('shows a progress bar while the backend answers, then its data', async () => {
    let answer: (v: {
      channels: number;
      appliances: number;
    }) => void = () => {};
    const api = fakeApi({
      getSummary: () => new Promise(resolve => (answer = resolve)),
      listChannels: async () => [sampleChannel],
    });
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, api], permissions],
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();

    answer({ channels: 1, appliances: 1 });
    expect(await screen.findByText('sample')).toBeInTheDocument();
    expect(
      screen.getByText(/http:\/\/localhost:7007\/feed.xml/),
    ).toBeInTheDocument();
    expect(await screen.findByText('Simple Web Server')).toBeInTheDocument();
    expect(
      screen.getByText(/unresolved: emailserv:1.0.0-0/),
    ).toBeInTheDocument();
  });

  it('says so when no channel is subscribed', async () => {
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, fakeApi({})], permissions],
    });
    expect(
      await screen.findByText(/No channels subscribed yet./),
    ).toBeInTheDocument();
  });

  it('shows the backend error instead of data', async () => {
    const api = fakeApi({
      getSummary: async () => {
        throw new AppliancesApiError(503, 'appliances backend is starting');
      },
    });
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, api], permissions],
    });
    await waitFor(() =>
      expect(
        screen.getAllByText(/appliances backend is starting/).length,
      ).toBeGreaterThan(0),
    );
    expect(screen.queryByTestId('summary')).not.toBeInTheDocument();
  });

  it('searches by free text', async () => {
    const listAppliances = jest.fn(async () => ({
      items: [webserv],
      totalCount: 1,
      offset: 0,
      limit: 20,
    }));
    const api = fakeApi({
      listChannels: async () => [sampleChannel],
      listAppliances,
    });
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, api], permissions],
    });
    fireEvent.change(await screen.findByLabelText('Search appliances'), {
      target: { value: 'nginx' },
    });
    await waitFor(() =>
      expect(listAppliances).toHaveBeenLastCalledWith(
        expect.objectContaining({ q: 'nginx', offset: 0, limit: 20 }),
      ),
    );
  });

  it('shows one appliance in detail with a Provision button', async () => {
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, fakeApi({})], permissions],
      initialRouteEntries: ['/sample.webserv.1.0.0-0'],
    });
    expect(
      await screen.findByText('Simple Web Server 1.0.0-0'),
    ).toBeInTheDocument();
    expect(screen.getByText(/512 MiB \(524288 KiB\)/)).toBeInTheDocument();
    expect(screen.getByTestId('disks')).toHaveTextContent('hda1system');
    expect(screen.getByTestId('disks')).toHaveTextContent('blank, 128 MB');
    expect(
      screen.getByText('/upload.php on each instance'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('unresolved in every subscribed channel'),
    ).toBeInTheDocument();
    expect(screen.getByText('sample.firewall.1.0.9-1')).toBeInTheDocument();
    expect(screen.getByText('1.1.0-0')).toBeInTheDocument();
    expect(screen.getAllByTestId('signature-verified').length).toBeGreaterThan(
      0,
    );
    const href = screen
      .getByText('Provision')
      .closest('a')!
      .getAttribute('href')!;
    expect(
      JSON.parse(new URL(href, 'http://app').searchParams.get('formData')!),
    ).toEqual({
      appliance: 'resource:default/sample.webserv.1.0.0-0',
    });
  });

  it('offers no Provision button for an appliance that may not be provisioned', async () => {
    const unsigned = {
      ...webserv,
      signature: { state: 'unsigned' as const, provisionable: false },
    };
    await renderInTestApp(<AppliancesPage />, {
      apis: [
        [appliancesApiRef, fakeApi({ getAppliance: async () => unsigned })],
        permissions,
      ],
      initialRouteEntries: ['/sample.webserv.1.0.0-0'],
    });
    expect(
      await screen.findByText(/refused: the image is not verified/),
    ).toBeInTheDocument();
    expect(screen.queryByText('Provision')).not.toBeInTheDocument();
  });
});
