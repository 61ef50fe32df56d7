import {
  Sidebar,
  SidebarDivider,
  SidebarGroup,
  SidebarItem,
  SidebarSpace,
} from '@backstage/core-components';
import type {
  NavContentComponentProps,
  NavContentNavItem,
} from '@backstage/plugin-app-react';
import MenuIcon from '@material-ui/icons/Menu';

// Tempest's other pages live under /appliances/…; its browser is lit only on its own.
const EXACT = new Set(['page:appliances']);

function NavItem(props: NavContentNavItem) {
  return (
    <SidebarItem
      icon={() => props.icon}
      to={props.href}
      text={props.title}
      end={EXACT.has(props.node.spec.id)}
    />
  );
}

/** Tempest first, in the order a user works; the rest of Backstage after it. */
export function TempestNav(props: NavContentComponentProps) {
  const nav = props.navItems.withComponent(NavItem);
  // The graph page is reached from entity pages; it needs no sidebar entry.
  props.navItems.take('page:catalog-graph');
  return (
    <Sidebar>
      <SidebarGroup label="Menu" icon={<MenuIcon />}>
        {nav.take('page:tempest-home')}
        {nav.take('page:appliances')}
        {nav.take('page:appliances/instances')}
        {nav.take('page:appliances/hosts')}
        {nav.take('page:appliances/operations')}
        {nav.take('page:appliances/channels')}
        <SidebarDivider />
        {nav.take('page:catalog')}
        {nav.take('page:scaffolder')}
        {nav.rest()}
      </SidebarGroup>
      <SidebarSpace />
      <SidebarDivider />
      {nav.take('page:user-settings')}
    </Sidebar>
  );
}
