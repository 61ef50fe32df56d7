import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';
import {
  AppliancesApiDeps,
  applianceIdOf,
  callAppliances,
} from './appliancesApi';
import { ActionError } from './actionError';
import { examples } from './provisionInstance.examples';
import { hostOf } from './hostOf';

type Operation = AppliancesApiComponents['schemas']['Operation'];
type Instance = AppliancesApiComponents['schemas']['Instance'];
type Estimate = AppliancesApiComponents['schemas']['Estimate'];
type Accepted = AppliancesApiComponents['schemas']['OperationAccepted'];

/** The template's optional instance values as the API takes them; empty fields are left out. */
function instanceValuesOf(input: {
  domain?: string;
  sshPublicKey?: string;
  variables?: Record<string, string>;
}) {
  const domain = input.domain?.trim();
  const key = input.sshPublicKey?.trim();
  const variables = Object.fromEntries(
    Object.entries(input.variables ?? {}).filter(([, v]) => v !== ''),
  );
  return {
    ...(domain ? { domain } : {}),
    ...(key ? { sshAuthorizedKeys: [key] } : {}),
    ...(Object.keys(variables).length ? { variables } : {}),
  };
}

function describeStep(step: Operation['steps'][number]): string {
  const detail = (step.detail ?? {}) as Record<string, any>;
  const current = detail.current as Record<string, any> | undefined;
  if (step.name === 'install-images' && current?.receivedBytes !== undefined) {
    const speed = current.speedBytesPerSecond
      ? `, ${(current.speedBytesPerSecond / 1048576).toFixed(1)} MiB/s`
      : '';
    return `${step.name}: ${current.kind} ${current.name} ${Math.round(step.progress * 100)}%${speed}`;
  }
  if (step.name === 'create-disk' && step.state === 'running' && current)
    return `${step.name}: ${current.role} disk ${current.name} of ${current.sizeMiB} MiB`;
  return `${step.name}: ${step.state}${step.error ? ` (${step.error})` : ''}`;
}

/**
 * `appliances:instance:provision`: places and provisions an instance, waits
 * for the operation and reports its steps. The request is made once per task
 * step (a checkpoint plus an Idempotency-Key), so a retried task never
 * provisions twice.
 */
export function createProvisionInstanceAction(
  deps: AppliancesApiDeps & { pollMs?: number },
) {
  return createTemplateAction({
    id: 'appliances:instance:provision',
    description:
      'Provisions a virtual appliance instance on the best-fitting host and waits until it runs',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        appliance: z =>
          z
            .string({
              description:
                'Entity ref of the appliance (virtual-appliance Resource) or its id',
            })
            .min(1),
        hostname: z =>
          z
            .string({
              description:
                'Instance hostname: lower-case letters, digits and dashes',
            })
            .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/),
        cpuCores: z =>
          z
            .number({ description: 'Cores; at least the appliance needs' })
            .int()
            .min(1),
        memoryMb: z =>
          z
            .number({
              description: 'Memory in MB; at least the appliance needs',
            })
            .int()
            .min(1),
        storageMb: z =>
          z
            .number({
              description: 'Storage in MB; at least the appliance needs',
            })
            .int()
            .min(1),
        host: z =>
          z
            .string({
              description:
                'Place on this host only: its entity ref (resource:default/<name>.host), name or id',
            })
            .optional(),
        maxPricePerHourMinor: z =>
          z
            .number({
              description: 'The most an hour may cost, in minor currency units',
            })
            .int()
            .min(0)
            .optional(),
        domain: z =>
          z
            .string({
              description:
                "The instance's DNS domain (its FQDN is hostname.domain)",
            })
            .optional(),
        sshPublicKey: z =>
          z
            .string({
              description:
                'An OpenSSH public key that may log in as root (the appliance starts SSH only with one)',
            })
            .optional(),
        variables: z =>
          z
            .record(z.string(), {
              description:
                'Values for the variables the appliance declares, by name',
            })
            .optional(),
        timeoutSeconds: z =>
          z
            .number({ description: 'How long to wait for the instance to run' })
            .int()
            .min(1)
            .default(900),
      },
      output: {
        instanceId: z => z.string(),
        operationId: z => z.string(),
        entityRef: z =>
          z.string({ description: 'The instance entity in the catalog' }),
        hostName: z => z.string(),
        pricePerHourMinor: z => z.number(),
      },
    },
    async handler(ctx) {
      const body = {
        applianceId: applianceIdOf(ctx.input.appliance),
        hostname: ctx.input.hostname,
        size: {
          cpuCores: ctx.input.cpuCores,
          memoryMb: ctx.input.memoryMb,
          storageMb: ctx.input.storageMb,
        },
        ...(ctx.input.host ? { hostId: hostOf(ctx.input.host) } : {}),
        ...(ctx.input.maxPricePerHourMinor !== undefined
          ? { maxPricePerHourMinor: ctx.input.maxPricePerHourMinor }
          : {}),
        ...instanceValuesOf(ctx.input),
      };

      // The estimate refuses, with the reason, everything provisioning would
      // refuse: nothing is created for a request that cannot succeed.
      const estimate = await callAppliances<Estimate>(
        deps,
        ctx,
        'POST',
        '/instances/estimate',
        { body },
      );
      ctx.logger.info(estimate.summary);
      if (!estimate.chosen) throw new ActionError(estimate.summary);
      if (ctx.isDryRun) {
        ctx.output('instanceId', 'dry-run');
        ctx.output('operationId', 'dry-run');
        ctx.output('entityRef', `resource:default/${body.hostname}`);
        ctx.output('hostName', estimate.chosen.hostName);
        ctx.output('pricePerHourMinor', estimate.chosen.pricePerHourMinor);
        return;
      }

      const idempotencyKey = `scaffolder:${ctx.task.id}:${ctx.step?.id ?? 'provision'}:${body.hostname}`;
      const accepted = await ctx.checkpoint<Accepted>({
        key: `appliances-provision-${body.hostname}`,
        fn: () =>
          callAppliances<Accepted>(deps, ctx, 'POST', '/instances', {
            body,
            headers: { 'idempotency-key': idempotencyKey },
          }),
      });
      ctx.logger.info(
        `Provisioning ${body.hostname}: operation ${accepted.operationId}`,
      );

      const deadline = Date.now() + ctx.input.timeoutSeconds * 1000;
      const seen = new Map<string, string>();
      let operation: Operation;
      for (;;) {
        operation = await callAppliances<Operation>(
          deps,
          ctx,
          'GET',
          `/operations/${accepted.operationId}`,
        );
        for (const step of operation.steps) {
          const line = describeStep(step);
          if (step.state !== 'pending' && seen.get(step.name) !== line) {
            seen.set(step.name, line);
            ctx.logger.info(line);
          }
        }
        if (operation.state === 'succeeded' || operation.state === 'failed')
          break;
        if (ctx.signal?.aborted)
          throw new ActionError(
            `Cancelled while provisioning ${body.hostname}; the provisioning goes on in Tempest (see /appliances/operations/${operation.id})`,
          );
        if (Date.now() > deadline) {
          throw new ActionError(
            `${body.hostname} is still being provisioned after ${ctx.input.timeoutSeconds} seconds; follow it at /appliances/operations/${operation.id}`,
          );
        }
        await new Promise(r => setTimeout(r, deps.pollMs ?? 1000));
      }
      if (operation.state === 'failed') {
        throw new ActionError(
          `Provisioning ${body.hostname} failed and everything it had done was undone: ${operation.error ?? 'no reason was recorded'}`,
        );
      }
      const instance = await callAppliances<Instance>(
        deps,
        ctx,
        'GET',
        `/instances/${accepted.instanceId}`,
      );
      ctx.logger.info(
        `${instance.hostname} is ${instance.state} on ${instance.hostName}`,
      );
      ctx.output('instanceId', instance.id);
      ctx.output('operationId', operation.id);
      ctx.output('entityRef', instance.entityRef);
      ctx.output('hostName', instance.hostName ?? '');
      ctx.output('pricePerHourMinor', instance.price?.pricePerHourMinor ?? 0);
    },
  });
}
