import { NotFoundError } from '@backstage/errors';
import { instanceReadPermission } from '@tempest/backstage-plugin-appliances-common';
import { InstanceStore } from '../instances/InstanceStore';
import { OperationStore } from '../operations/OperationStore';
import { InstanceAccessDeps, requireInstanceAccess } from './instanceAccess';
import { AppliancesRouter } from './types';

export type OperationRoutesOptions = InstanceAccessDeps & {
  operations: OperationStore;
  instances: InstanceStore;
};

/** GET /operations/:id: the steps and their progress, for whoever may read the instance. */
export function addOperationRoutes(
  router: AppliancesRouter,
  options: OperationRoutesOptions,
) {
  router.get('/operations/:id', async (req, res) => {
    const access = await requireInstanceAccess(
      options,
      req,
      instanceReadPermission,
      'Not allowed to read operations',
    );
    const operation = await options.operations.get(req.params.id);
    const instance =
      operation &&
      (await options.instances.getVisible(
        operation.instanceId,
        access.criteria,
      ));
    if (!operation || !instance)
      throw new NotFoundError(`No operation '${req.params.id}'`);
    res.json(operation);
  });
}
