import { LinkButton } from '@backstage/core-components';

/** The Provision appliance template, opened with the appliance already picked. */
export function provisionTemplateUrl(applianceEntityRef?: string): string {
  const base = '/create/templates/default/provision-appliance';
  return applianceEntityRef
    ? `${base}?formData=${encodeURIComponent(JSON.stringify({ appliance: applianceEntityRef }))}`
    : base;
}

/** A Provision button that opens the template pre-filled with this appliance. */
export function ProvisionButton(props: { applianceEntityRef?: string }) {
  return (
    <LinkButton
      to={provisionTemplateUrl(props.applianceEntityRef)}
      color="primary"
      variant="contained"
    >
      Provision
    </LinkButton>
  );
}
