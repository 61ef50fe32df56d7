import { screen } from '@testing-library/react';
import { BASE, json, renderPage } from '../../__testUtils__/renderPage';
import { ApplianceCostEstimate } from './ApplianceCostEstimate';

describe('ApplianceCostEstimate', () => {
  it('asks for the picked host and says the price, the minimum size in words and where it goes', async () => {
    const onChange = jest.fn();
    const { fetchApi } = await renderPage(
      <ApplianceCostEstimate
        {...({
          formContext: {
            formData: {
              appliance: 'resource:default/sample.webserv.1.1.0-0',
              hostname: 'web-1',
              cpuCores: 1,
              memoryMb: 1024,
              storageMb: 10240,
              host: 'resource:default/sim-host-1.host',
            },
          },
          onChange,
        } as any)}
      />,
      async url => {
        if (url !== `${BASE}/instances/estimate`)
          return json({ error: { name: 'NotFoundError', message: url } }, 404);
        return json({
          chosen: {
            hostId: 'h1',
            hostName: 'sim-host-1',
            pricePerHourMinor: 840,
            price: {
              runningPriceMinor: 9,
              runningPeriodSeconds: 60,
              storagePriceMinor: 5,
              storagePeriodSeconds: 60,
            },
          },
          minimum: { cpuCores: 1, memoryMb: 512, storageMb: 1408 },
          summary:
            'Placed on sim-host-1 for €8.40 per hour: the host picked for it.',
        });
      },
    );
    expect(
      await screen.findByText(
        'Minimum size 1 core, 512 MB memory, 1,408 MB storage. Placed on sim-host-1 for €8.40 per hour: the host picked for it.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('€8.40')).toBeInTheDocument();
    const [, init] = fetchApi.fetch.mock.calls[0];
    expect(JSON.parse(String(init?.body))).toMatchObject({
      applianceId: 'sample.webserv.1.1.0-0',
      hostId: 'sim-host-1',
    });
    expect(onChange).toHaveBeenCalledWith(
      'Placed on sim-host-1 for €8.40 per hour: the host picked for it.',
    );
  });
});
