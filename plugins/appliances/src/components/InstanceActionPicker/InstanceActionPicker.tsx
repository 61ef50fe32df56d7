import { useEffect, useMemo, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import { Instance, hostingApi } from '../../hosting/hostingApi';

const nameOf = (ref: string) => ref.replace(/^(?:resource:)?(?:[^/]+\/)?/i, '');

/**
 * Scaffolder field `InstanceActionPicker`: offers only the actions the chosen
 * instance's state allows now (read from the backend, not the catalog) that
 * the field's enum lists, when it has one.
 * `ui:options.instanceField` names the field holding the instance (default `instance`).
 */
export function InstanceActionPicker(
  props: FieldExtensionComponentProps<string, { instanceField?: string }>,
) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const field = props.uiSchema?.['ui:options']?.instanceField ?? 'instance';
  const ref = ((props.formContext as any)?.formData ?? {})[field] as
    string | undefined;
  const [instance, setInstance] = useState<Instance>();
  const [error, setError] = useState<string>();
  const { onChange } = props;

  useEffect(() => {
    setInstance(undefined);
    setError(undefined);
    if (!ref) return () => {};
    let cancelled = false;
    hostingApi({ discoveryApi, fetchApi })
      .listInstances({ hostname: nameOf(ref), limit: 1 })
      .then(
        page => {
          if (cancelled) return;
          if (!page.items.length) setError('You may not act on this instance');
          setInstance(page.items[0]);
        },
        e => !cancelled && setError(e.body?.error?.message ?? e.message),
      );
    return () => {
      cancelled = true;
    };
  }, [ref, discoveryApi, fetchApi]);

  // Only the actions the template runs (its enum): a move has its own template.
  const offered = props.schema.enum as string[] | undefined;
  const allowed = useMemo(
    () =>
      (instance?.allowedActions ?? []).filter(
        action => !offered || offered.includes(action),
      ),
    [instance, offered],
  );
  useEffect(() => {
    if (props.formData && instance && !allowed.includes(props.formData as any))
      onChange(undefined);
  }, [instance, allowed, props.formData, onChange]);

  let help = 'Pick an instance first';
  if (error) help = error;
  else if (instance)
    help = allowed.length
      ? `${instance.hostname} is ${instance.state}`
      : `${instance.hostname} is ${instance.state}: nothing to do now`;

  return (
    <FormControl
      fullWidth
      required={props.required}
      error={Boolean(error) || Boolean(props.rawErrors?.length)}
      disabled={!allowed.length}
    >
      <InputLabel id={`${props.idSchema.$id}-label`}>
        {props.schema.title ?? 'Action'}
      </InputLabel>
      <Select
        labelId={`${props.idSchema.$id}-label`}
        value={props.formData ?? ''}
        onChange={e => onChange((e.target.value as string) || undefined)}
      >
        {allowed.map(action => (
          <MenuItem key={action} value={action}>
            {action}
          </MenuItem>
        ))}
      </Select>
      <FormHelperText>{help}</FormHelperText>
    </FormControl>
  );
}
