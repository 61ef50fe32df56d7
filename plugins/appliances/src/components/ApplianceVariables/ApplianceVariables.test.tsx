import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen } from '@testing-library/react';
import { appliancesApiRef } from '../../api';
import { webserv } from '../__fixtures__/appliances';
import { ApplianceVariables } from './ApplianceVariables';

describe('ApplianceVariables', () => {
  it("asks for the chosen appliance's variables, secret ones hidden, and gives back those filled in", async () => {
    const getAppliance = jest.fn(async (_id: string) => ({
      ...webserv,
      label: 'Redis',
      variables: [
        {
          name: 'REDIS_PASSWORD',
          description: 'The password clients give.',
          required: true,
          secret: true,
        },
        {
          name: 'MAXMEMORY',
          description: 'Memory limit.',
          required: false,
          secret: false,
          default: '64mb',
        },
      ],
    }));
    const onChange = jest.fn();
    const props: any = {
      formContext: {
        formData: { appliance: 'resource:default/sample.database.7.0.15-1' },
      },
      formData: { MAXMEMORY: '128mb' },
      uiSchema: {},
      idSchema: { $id: 'root_variables' },
      schema: { title: 'Appliance variables' },
      onChange,
      rawErrors: [],
    };
    await renderInTestApp(<ApplianceVariables {...props} />, {
      apis: [[appliancesApiRef, { getAppliance } as any]],
    });
    const password = await screen.findByLabelText(/REDIS_PASSWORD/);
    expect(getAppliance).toHaveBeenCalledWith('sample.database.7.0.15-1');
    expect(password).toHaveAttribute('type', 'password');
    expect(password).toBeRequired();
    expect(
      screen.getByText(
        'The password clients give. Kept secret: only the instance receives it.',
      ),
    ).toBeInTheDocument();
    const memory = screen.getByLabelText(/MAXMEMORY/);
    expect(memory).toHaveValue('128mb');
    expect(memory).toHaveAttribute('placeholder', '64mb');
    fireEvent.change(password, { target: { value: 'hunter2' } });
    expect(onChange).toHaveBeenLastCalledWith({
      MAXMEMORY: '128mb',
      REDIS_PASSWORD: 'hunter2',
    });
    fireEvent.change(memory, { target: { value: '' } });
    expect(onChange).toHaveBeenLastCalledWith({});
  });

  it('says when the appliance asks for nothing', async () => {
    const props: any = {
      formContext: { formData: { appliance: 'resource:default/web' } },
      onChange: jest.fn(),
    };
    await renderInTestApp(<ApplianceVariables {...props} />, {
      apis: [[appliancesApiRef, { getAppliance: async () => webserv } as any]],
    });
    expect(
      await screen.findByText('This appliance asks for no variables.'),
    ).toBeInTheDocument();
  });
});
