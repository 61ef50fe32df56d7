import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';
import { AppliancesApiDeps, callAppliances } from './appliancesApi';
import { examples } from './registerHost.examples';

type Registration = AppliancesApiComponents['schemas']['HostRegistration'];

/**
 * `appliances:host:register`: registers a provider's host (Virtuoso's
 * pmseller fields) and outputs the one-time enrolment command.
 */
export function createRegisterHostAction(deps: AppliancesApiDeps) {
  return createTemplateAction({
    id: 'appliances:host:register',
    description:
      'Registers a virtualization host running tempest-agent and returns its one-time enrolment command',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string({
              description: 'Host name: lower-case letters, digits and dashes',
            })
            .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/),
        owner: z =>
          z
            .string({
              description:
                'Entity ref of the providing user or group; default the user',
            })
            .optional(),
        cpuModel: z => z.string().min(1),
        coreSpeedMhz: z => z.number().int().min(1),
        cpuCores: z => z.number().int().min(1),
        memoryMb: z => z.number().int().min(1),
        storageMb: z => z.number().int().min(1),
        speedUnitMhz: z => z.number().int().min(1),
        speedPriceMinor: z =>
          z
            .number({
              description: 'Minor units per speed unit per running period',
            })
            .int()
            .min(0),
        memoryUnitMb: z => z.number().int().min(1),
        memoryPriceMinor: z =>
          z
            .number({
              description: 'Minor units per memory unit per running period',
            })
            .int()
            .min(0),
        runningPeriodSeconds: z => z.number().int().min(1).default(3600),
        storageUnitMb: z => z.number().int().min(1),
        storagePriceMinor: z =>
          z
            .number({
              description: 'Minor units per storage unit per storage period',
            })
            .int()
            .min(0),
        storagePeriodSeconds: z => z.number().int().min(1).default(86400),
        agentUrl: z =>
          z
            .string({
              description: 'https URL the backend reaches the agent at',
            })
            .regex(/^https:\/\//),
        bmcAddress: z => z.string().optional(),
        bmcUsername: z => z.string().optional(),
        bmcPassword: z => z.string().optional(),
      },
      output: {
        hostId: z => z.string(),
        entityRef: z => z.string(),
        enrolCommand: z =>
          z.string({
            description: 'Run on the host once, before the token expires',
          }),
        enrolmentExpiresAt: z => z.string(),
      },
    },
    async handler(ctx) {
      const i = ctx.input;
      const bmc =
        i.bmcAddress && i.bmcUsername && i.bmcPassword
          ? {
              bmc: {
                address: i.bmcAddress,
                username: i.bmcUsername,
                password: i.bmcPassword,
              },
            }
          : {};
      const body = {
        name: i.name,
        ...(i.owner ? { owner: i.owner } : {}),
        cpuModel: i.cpuModel,
        coreSpeedMhz: i.coreSpeedMhz,
        cpuCores: i.cpuCores,
        memoryMb: i.memoryMb,
        storageMb: i.storageMb,
        pricing: {
          speedUnitMhz: i.speedUnitMhz,
          speedPriceMinor: i.speedPriceMinor,
          memoryUnitMb: i.memoryUnitMb,
          memoryPriceMinor: i.memoryPriceMinor,
          runningPeriodSeconds: i.runningPeriodSeconds,
          storageUnitMb: i.storageUnitMb,
          storagePriceMinor: i.storagePriceMinor,
          storagePeriodSeconds: i.storagePeriodSeconds,
        },
        agentUrl: i.agentUrl,
        ...bmc,
      };
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would register host ${i.name} with ${i.cpuCores} cores`,
        );
        ctx.output('hostId', 'dry-run');
        ctx.output('entityRef', `resource:default/${i.name}.host`);
        ctx.output(
          'enrolCommand',
          'tempest-agent enroll --url <backend> --token <one-time token>',
        );
        ctx.output('enrolmentExpiresAt', new Date().toISOString());
        return;
      }
      const registration = await ctx.checkpoint<Registration>({
        key: `appliances-register-host-${i.name}`,
        fn: () =>
          callAppliances<Registration>(deps, ctx, 'POST', '/hosts', { body }),
      });
      ctx.logger.info(
        `Registered ${registration.host.name}; enrol it before ${registration.enrolment.expiresAt}`,
      );
      ctx.output('hostId', registration.host.id);
      ctx.output(
        'entityRef',
        `resource:default/${registration.host.name}.host`,
      );
      ctx.output('enrolCommand', registration.enrolment.command);
      ctx.output('enrolmentExpiresAt', registration.enrolment.expiresAt);
    },
  });
}
