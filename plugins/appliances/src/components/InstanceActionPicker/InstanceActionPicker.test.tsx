import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { fireEvent, screen, within } from '@testing-library/react';
import { InstanceActionPicker } from './InstanceActionPicker';

describe('InstanceActionPicker', () => {
  it('offers only the actions the chosen instance allows now', async () => {
    const fetchApi = {
      fetch: jest.fn(
        async (_url: string) =>
          new Response(
            JSON.stringify({
              items: [
                {
                  id: 'i1',
                  hostname: 'web-1',
                  state: 'suspended',
                  version: 4,
                  allowedActions: ['resume', 'stop', 'migrate'],
                },
              ],
              totalCount: 1,
            }),
            { status: 200, headers: { 'content-type': 'application/json' } },
          ),
      ),
    };
    const onChange = jest.fn();
    const props: any = {
      formContext: { formData: { instance: 'resource:default/web-1' } },
      uiSchema: {},
      idSchema: { $id: 'root_action' },
      // The Power instance template's enum: migrate has its own template.
      schema: {
        title: 'Action',
        enum: ['start', 'stop', 'suspend', 'resume', 'delete', 'retry'],
      },
      onChange,
      required: true,
      rawErrors: [],
    };
    await renderInTestApp(<InstanceActionPicker {...props} />, {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, fetchApi as any],
      ],
    });
    expect(await screen.findByText('web-1 is suspended')).toBeInTheDocument();
    expect(fetchApi.fetch.mock.calls[0][0]).toBe(
      'http://backend/api/appliances/instances?hostname=web-1&limit=1',
    );
    fireEvent.mouseDown(screen.getByRole('button'));
    const options = within(screen.getByRole('listbox'))
      .getAllByRole('option')
      .map(o => o.textContent);
    expect(options).toEqual(['resume', 'stop']);
    fireEvent.click(screen.getByRole('option', { name: 'resume' }));
    expect(onChange).toHaveBeenCalledWith('resume');
  });
});
