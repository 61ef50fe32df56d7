import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createRegisterHostAction } from './registerHost';

const input = {
  name: 'rack1-node4',
  cpuModel: 'EPYC',
  coreSpeedMhz: 2850,
  cpuCores: 24,
  memoryMb: 131072,
  storageMb: 2000000,
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 3,
  storagePeriodSeconds: 86400,
  agentUrl: 'https://rack1-node4:7443',
  bmcAddress: '10.0.0.4',
  bmcUsername: 'ADMIN',
  bmcPassword: 'secret',
};

describe('appliances:host:register', () => {
  it('posts the pmseller fields with the BMC and outputs the enrolment command', async () => {
    const bodies: any[] = [];
    const fetchMock = jest.fn(async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return new Response(
        JSON.stringify({
          host: { id: 'h1', name: 'rack1-node4' },
          enrolment: {
            token: 't',
            expiresAt: '2026-11-24T11:00:00.000Z',
            enrolUrl: 'u',
            command: 'tempest-agent enroll --url u --token t',
          },
        }),
        { status: 201, headers: { 'content-type': 'application/json' } },
      );
    });
    const action = createRegisterHostAction({
      discovery: mockServices.discovery(),
      auth: mockServices.auth(),
      fetch: fetchMock as any,
    });
    const ctx = createMockActionContext({ input });
    await action.handler(ctx as any);
    expect(bodies[0]).toMatchObject({
      name: 'rack1-node4',
      pricing: { speedPriceMinor: 2, storagePeriodSeconds: 86400 },
      bmc: { address: '10.0.0.4', username: 'ADMIN', password: 'secret' },
    });
    expect(ctx.output).toHaveBeenCalledWith(
      'enrolCommand',
      'tempest-agent enroll --url u --token t',
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/rack1-node4.host',
    );
  });

  it('shows the backend refusal', async () => {
    const fetchMock = jest.fn(
      async () =>
        new Response(
          JSON.stringify({
            error: {
              name: 'ConflictError',
              message: "A host named 'rack1-node4' is already registered",
            },
          }),
          {
            status: 409,
            headers: { 'content-type': 'application/json' },
          },
        ),
    );
    const action = createRegisterHostAction({
      discovery: mockServices.discovery(),
      auth: mockServices.auth(),
      fetch: fetchMock as any,
    });
    await expect(
      action.handler(createMockActionContext({ input }) as any),
    ).rejects.toThrow(/already registered/);
  });
});
