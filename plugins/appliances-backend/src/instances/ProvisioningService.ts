import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { createHash, randomUUID } from 'node:crypto';
import {
  PlacementDecision,
  ResourceDemand,
  describeSize,
  minimumSize,
  placeHost,
} from '@tempest/backstage-plugin-appliances-common';
import {
  ApplianceDirectory,
  ApplianceDetailView,
} from '../appliances/ApplianceDirectory';
import { HostStore } from '../hosts/HostStore';
import { OperationStore } from '../operations/OperationStore';
import { InstanceStore } from './InstanceStore';
import { SecretBox } from '../hosts/SecretBox';
import {
  InstanceValuesRequest,
  resolveInstanceValues,
  sealVariables,
} from './instanceValues';

export type ProvisionRequest = {
  applianceId: string;
  hostname: string;
  size: ResourceDemand;
  hostId?: string;
  maxPricePerHourMinor?: number;
  /** Whose account pays (billing decides it before the request). */
  costCenter?: string;
} & InstanceValuesRequest;

export const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function requestHash(request: ProvisionRequest): string {
  const canonical = JSON.stringify({
    applianceId: request.applianceId,
    hostname: request.hostname,
    size: [
      request.size.cpuCores,
      request.size.memoryMb,
      request.size.storageMb,
    ],
    hostId: request.hostId ?? null,
    maxPricePerHourMinor: request.maxPricePerHourMinor ?? null,
    // Who pays is part of the request: a replay billing another account is another request.
    costCenter: request.costCenter ?? null,
    domain: request.domain ?? null,
    sshAuthorizedKeys: request.sshAuthorizedKeys ?? [],
    variables: Object.entries(request.variables ?? {}).sort(([a], [b]) =>
      a < b ? -1 : 1,
    ),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Says the name is taken, never by whom. */
function hostnameInUse(hostname: string): ConflictError {
  return new ConflictError(
    `The hostname '${hostname}' is already in use; choose another.`,
  );
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err.code === '23505' || /UNIQUE constraint failed/i.test(err.message ?? '')
  );
}

/**
 * Accepts provisioning requests: validates them against the appliance and
 * the hosts, applies Idempotency-Key semantics, and records the instance and
 * its operation in one transaction. The runner does the rest.
 */
export class ProvisioningService {
  constructor(
    private readonly deps: {
      db: Knex;
      directory: ApplianceDirectory;
      hosts: HostStore;
      instances: InstanceStore;
      operations: OperationStore;
      /** The installation currency, for the wording of prices. */
      currency?: string;
      /** Seals secret appliance variables on the instance. */
      secrets?: SecretBox;
    },
  ) {}

  /** The host id for a host given by id or by name. */
  private async resolveHost(
    request: ProvisionRequest,
  ): Promise<ProvisionRequest> {
    if (!request.hostId) return request;
    const host =
      (await this.deps.hosts.get(request.hostId)) ??
      (await this.deps.hosts.getByName(request.hostId));
    if (!host) throw new InputError(`There is no host '${request.hostId}'.`);
    return { ...request, hostId: host.id };
  }

  /** Checks what can be checked before anything is recorded; returns the appliance. */
  async validate(request: ProvisionRequest): Promise<ApplianceDetailView> {
    if (!HOSTNAME.test(request.hostname)) {
      throw new InputError(
        `The hostname '${request.hostname}' may hold only lower-case letters, digits and dashes (at most 63, not starting or ending with a dash).`,
      );
    }
    let appliance: ApplianceDetailView;
    try {
      appliance = await this.deps.directory.get(request.applianceId);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new InputError(
          `There is no appliance '${request.applianceId}' in any subscribed channel.`,
        );
      throw e;
    }
    if (!appliance.signature.provisionable) {
      throw new InputError(
        `${appliance.label} ${appliance.version} cannot be provisioned: its image signature is ${appliance.signature.state}.`,
      );
    }
    const min = minimumSize(appliance);
    const small: string[] = [];
    const n = (value: number) => value.toLocaleString('en');
    if (request.size.cpuCores < min.cpuCores)
      small.push(
        `${request.size.cpuCores} ${request.size.cpuCores === 1 ? 'core' : 'cores'}`,
      );
    if (request.size.memoryMb < min.memoryMb)
      small.push(`${n(request.size.memoryMb)} MB memory`);
    if (request.size.storageMb < min.storageMb)
      small.push(`${n(request.size.storageMb)} MB storage`);
    if (small.length) {
      throw new InputError(
        `${appliance.label} ${appliance.version} needs at least ${describeSize(min)}; ${small.join(' and ')} is too little.`,
      );
    }
    return appliance;
  }

  /**
   * A host the buyer chose (from the offers) must fit the size within the
   * price limit and be usable now, or nothing is recorded; Tempest's own
   * choice is made when the operation runs.
   */
  private async checkChosenHost(request: ProvisionRequest): Promise<void> {
    if (!request.hostId) return;
    const decision = placeHost(await this.deps.hosts.placementHosts(), {
      demand: request.size,
      maxPricePerHourMinor: request.maxPricePerHourMinor,
      hostId: request.hostId,
      currency: this.deps.currency,
    });
    if (!decision.chosen) throw new ConflictError(decision.summary);
  }

  /**
   * What placing this request now would choose and cost; nothing is
   * reserved. Refuses, with the reason as a sentence, what provisioning
   * would refuse: an appliance that may not run, a size below its minimum,
   * a hostname in use (whoever holds it), no host that fits within the price.
   */
  async estimate(
    given: ProvisionRequest,
  ): Promise<PlacementDecision & { minimum: ResourceDemand }> {
    const request = await this.resolveHost(given);
    // The three reads at once; their refusals in the same order as before.
    const [appliance, taken, hosts] = await Promise.allSettled([
      this.validate(request),
      this.deps.instances.hostnameTaken(request.hostname),
      this.deps.hosts.placementHosts(),
    ]);
    if (appliance.status === 'rejected') throw appliance.reason;
    if (taken.status === 'rejected') throw taken.reason;
    if (taken.value) throw hostnameInUse(request.hostname);
    if (hosts.status === 'rejected') throw hosts.reason;
    const decision = placeHost(hosts.value, {
      demand: request.size,
      maxPricePerHourMinor: request.maxPricePerHourMinor,
      hostId: request.hostId,
      currency: this.deps.currency,
    });
    if (!decision.chosen) throw new ConflictError(decision.summary);
    return { ...decision, minimum: minimumSize(appliance.value) };
  }

  /**
   * Records the instance and its operation. The same Idempotency-Key with
   * the same body gives back the first operation; with another body it is
   * refused.
   */
  async request(
    given: ProvisionRequest,
    requestedBy: string,
    idempotencyKey?: string,
  ): Promise<{ operationId: string; instanceId: string; created: boolean }> {
    const hash = requestHash(given);
    let request: ProvisionRequest;
    let appliance: ApplianceDetailView;
    try {
      request = await this.resolveHost(given);
      appliance = await this.validate(request);
      await this.checkChosenHost(request);
    } catch (e) {
      // A replay answers with its first operation even if the appliance or host has gone since.
      const previous = idempotencyKey
        ? await this.replay(requestedBy, idempotencyKey, hash)
        : undefined;
      if (previous) return previous;
      throw e;
    }
    const instanceId = randomUUID();
    const operationId = randomUUID();
    const now = new Date();
    const values = resolveInstanceValues(appliance, request);
    const sealed = sealVariables(
      this.deps.secrets,
      instanceId,
      values.secretVariables,
    );
    // Inserted first and checked after: the unique indexes on the key and the
    // active hostname decide, so the usual request costs no extra lookups.
    try {
      await this.deps.db.transaction(async trx => {
        await this.deps.operations.insert(
          trx,
          {
            id: operationId,
            instanceId,
            requestedBy,
            idempotencyKey,
            requestHash: hash,
            // Secret values live sealed on the instance only.
            request: {
              ...request,
              variables: values.variables,
              ...(sealed ? { secretVariables: sealed.names } : {}),
            },
          },
          now,
        );
        await this.deps.instances.insert(
          trx,
          {
            id: instanceId,
            hostname: request.hostname,
            owner: requestedBy,
            applianceId: request.applianceId,
            size: request.size,
            requestedHostId: request.hostId,
            maxPricePerHourMinor: request.maxPricePerHourMinor,
            costCenter: request.costCenter,
            operationId,
            webpanel: appliance.webpanel,
            domain: values.domain,
            sshAuthorizedKeys: values.sshAuthorizedKeys,
            variables: values.variables,
            secretVariables: sealed,
          },
          now,
        );
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // The key was used before (a replay, or a concurrent twin), or the hostname is taken.
      const previous = idempotencyKey
        ? await this.replay(requestedBy, idempotencyKey, hash)
        : undefined;
      if (previous) return previous;
      throw hostnameInUse(request.hostname);
    }
    return { operationId, instanceId, created: true };
  }

  private async replay(requestedBy: string, key: string, hash: string) {
    const found = await this.deps.operations.findByIdempotencyKey(
      requestedBy,
      key,
    );
    if (!found) return undefined;
    if (found.requestHash !== hash) {
      throw new ConflictError(
        `Idempotency-Key '${key}' was already used with a different request; use a new key`,
      );
    }
    return {
      operationId: found.id,
      instanceId: found.instanceId,
      created: false,
    };
  }
}
