import { NotFoundError } from '@backstage/errors';
import { instanceReadPermission } from '@tempest/backstage-plugin-appliances-common';
import { InstanceStore } from '../instances/InstanceStore';
import { OperationStore } from '../operations/OperationStore';
import { CallerScopeDeps, assertOwns, callerScope } from './callerScope';
import { AppliancesRouter } from './types';

export type OperationRoutesOptions = CallerScopeDeps & {
  operations: OperationStore;
  instances: InstanceStore;
};

/** GET /operations/:id: the steps and their progress, for whoever may read the instance. */
export function addOperationRoutes(router: AppliancesRouter, options: OperationRoutesOptions) {
  router.get('/operations/:id', async (req, res) => {
    const scope = await callerScope(options, req, instanceReadPermission, 'Not allowed to read operations');
    const operation = await options.operations.get(req.params.id);
    if (!operation) throw new NotFoundError(`No operation '${req.params.id}'`);
    const instance = await options.instances.get(operation.instanceId);
    assertOwns(scope, instance?.owner ?? operation.requestedBy, `operation '${req.params.id}'`);
    res.json(operation);
  });
}
