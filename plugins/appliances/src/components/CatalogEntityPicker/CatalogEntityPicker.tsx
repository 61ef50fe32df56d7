import { useEffect } from 'react';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import {
  Entity,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import TextField from '@material-ui/core/TextField';
import Autocomplete from '@material-ui/lab/Autocomplete';
import useAsync from 'react-use/esm/useAsync';

export type CatalogEntityPickerOptions = {
  /** Catalog filter, e.g. `{ kind: Resource, spec.type: appliance-host }`. */
  catalogFilter?: Record<string, string | string[]>;
  /** Only entities the user or their groups own. */
  owned?: boolean;
};

/** What a person reads for an entity: its title, else its name. */
export const entityTitle = (entity: Entity) =>
  entity.metadata.title ?? entity.metadata.name;

/**
 * Scaffolder field `CatalogEntityPicker`: picks an entity by its title (the
 * value is its ref), from a catalog filter, optionally only those the user
 * owns. A required field with one choice picks it.
 */
export function CatalogEntityPicker(
  props: FieldExtensionComponentProps<string, CatalogEntityPickerOptions>,
) {
  const catalogApi = useApi(catalogApiRef);
  const identityApi = useApi(identityApiRef);
  const options = props.uiSchema?.['ui:options'] ?? {};
  const filterKey = JSON.stringify(options);
  const { value: entities, loading } = useAsync(async () => {
    const filter: Record<string, string | string[]> = {
      ...(options.catalogFilter ?? {}),
    };
    if (options.owned) {
      const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
      filter[`relations.${RELATION_OWNED_BY}`] = ownershipEntityRefs;
    }
    const { items } = await catalogApi.getEntities({ filter });
    return items.sort((a, b) => entityTitle(a).localeCompare(entityTitle(b)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalogApi, identityApi, filterKey]);

  const { formData, onChange, required } = props;
  useEffect(() => {
    if (required && !formData && entities?.length === 1)
      onChange(stringifyEntityRef(entities[0]));
  }, [required, formData, entities, onChange]);

  const selected =
    entities?.find(e => stringifyEntityRef(e) === formData) ?? null;
  return (
    <Autocomplete<Entity>
      id={props.idSchema?.$id}
      options={entities ?? []}
      loading={loading}
      value={selected}
      getOptionLabel={entityTitle}
      getOptionSelected={(a, b) =>
        stringifyEntityRef(a) === stringifyEntityRef(b)
      }
      onChange={(_, entity) =>
        onChange(entity ? stringifyEntityRef(entity) : undefined)
      }
      renderInput={params => (
        <TextField
          {...params}
          label={props.schema.title}
          margin="dense"
          variant="outlined"
          required={required}
          error={Boolean(props.rawErrors?.length)}
          helperText={props.schema.description}
        />
      )}
    />
  );
}
