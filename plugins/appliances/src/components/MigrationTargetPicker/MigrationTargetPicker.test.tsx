import { useState } from 'react';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { MigrationTargetPicker } from './MigrationTargetPicker';

const instance = (state: string, allowedActions: string[]) => ({
  id: 'i1',
  hostname: 'web-1',
  state,
  version: 4,
  hostName: 'sim-host-1',
  allowedActions,
  price: { pricePerHourMinor: 14 },
});

const targets = {
  summary: 'Chose sim-host-3',
  items: [
    {
      hostId: 'h2',
      hostName: 'sim-host-2',
      fits: false,
      recommended: false,
      detail: 'sim-host-2 needs 1 more core',
    },
    {
      hostId: 'h3',
      hostName: 'sim-host-3',
      fits: true,
      recommended: true,
      detail: 'sim-host-3 has room',
    },
  ],
};

const propsFor = (
  formData: string | undefined,
  onChange: (value: string) => void,
): any => ({
  formContext: { formData: { instance: 'resource:default/web-1' } },
  uiSchema: {},
  idSchema: { $id: 'root_host' },
  schema: { title: 'Destination host' },
  formData,
  onChange,
  required: true,
  rawErrors: [],
});

/** The field as the form holds it: its value changes with onChange. */
function Form(props: { onChange: jest.Mock }) {
  const [value, setValue] = useState<string>();
  return (
    <MigrationTargetPicker
      {...propsFor(value, (v: string) => {
        props.onChange(v);
        setValue(v);
      })}
    />
  );
}

describe('MigrationTargetPicker', () => {
  it("lists the chosen instance's destinations, picks Tempest's choice and shows the kept price", async () => {
    const onChange = jest.fn();
    const { fetchApi } = await renderPage(
      <Form onChange={onChange} />,
      async url =>
        url.includes('/migration-targets')
          ? json(targets)
          : json({
              items: [instance('stopped', ['start', 'delete', 'migrate'])],
            }),
    );
    expect(
      await screen.findByRole('radio', { name: /sim-host-3/ }),
    ).toBeInTheDocument();
    expect(fetchApi.fetch.mock.calls.map(([url]) => url)).toEqual([
      'http://backend/api/appliances/instances?hostname=web-1&limit=1',
      'http://backend/api/appliances/instances/i1/migration-targets',
    ]);
    expect(onChange).toHaveBeenCalledWith('sim-host-3');
    expect(
      await screen.findByRole('radio', { name: /sim-host-3/, checked: true }),
    ).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /sim-host-2/ })).toBeDisabled();
    expect(
      screen.getByText(
        /web-1 is stopped on sim-host-1\. web-1 keeps its price: €0\.14 per hour/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('sim-host-2 needs 1 more core'),
    ).toBeInTheDocument();
    // A host without room never stays picked: Tempest's choice comes back.
    fireEvent.click(screen.getByRole('radio', { name: /sim-host-2/ }));
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith('sim-host-3'),
    );
    expect(screen.getByRole('radio', { name: /sim-host-3/ })).toBeChecked();
  });

  it('says a suspended instance must be resumed or stopped first, and reads no targets', async () => {
    const { fetchApi } = await renderPage(
      <MigrationTargetPicker {...propsFor(undefined, jest.fn())} />,
      async () => json({ items: [instance('suspended', ['resume', 'stop'])] }),
    );
    expect(
      await screen.findByText(
        /web-1 is suspended: only running, stopped or stored instances move. Resume or stop it first/,
      ),
    ).toBeInTheDocument();
    expect(fetchApi.fetch).toHaveBeenCalledTimes(1);
  });
});
