import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AppliancesApiComponents,
  formatMoney,
  parseMoneyInput,
} from '@tempest/backstage-plugin-appliances-common';
import { ActionError } from './actionError';
import { AppliancesApiDeps, callAppliances } from './appliancesApi';
import { examples } from './topUpAccount.examples';

type Account = AppliancesApiComponents['schemas']['Account'];
type TopUpResult = AppliancesApiComponents['schemas']['TopUpResult'];

/** `group:team-a` → `group:default/team-a`. */
function fullRef(ref: string): string {
  const match = /^(user|group):(?:([^/]+)\/)?(.+)$/.exec(ref.trim());
  if (!match) {
    throw new ActionError(
      `'${ref}' is not a user or group entity ref, such as group:default/team-a`,
    );
  }
  return `${match[1]}:${match[2] ?? 'default'}/${match[3]}`;
}

/**
 * `appliances:account:top-up`: credits the account of a user or group
 * (admins), once per external reference; the amount is in the currency's
 * units, as people write it.
 */
export function createTopUpAccountAction(deps: AppliancesApiDeps) {
  return createTemplateAction({
    id: 'appliances:account:top-up',
    description:
      "Credits a user's or group's Tempest account (admins), once per external reference",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        owner: z =>
          z.string({
            description: 'The user or group whose account to credit',
          }),
        amount: z =>
          z.string({
            description:
              "In the installation currency's units, e.g. 25.00; at most its minor digits",
          }),
        reference: z =>
          z
            .string({
              description:
                'External reference (invoice, payment); the same one again changes nothing',
            })
            .min(1)
            .max(255),
      },
      output: {
        accountId: z => z.string(),
        balance: z => z.string({ description: 'The balance after, formatted' }),
        created: z =>
          z.boolean({
            description: 'False when the reference was used before',
          }),
      },
    },
    async handler(ctx) {
      const owner = fullRef(ctx.input.owner);
      const { items } = await callAppliances<{ items: Account[] }>(
        deps,
        ctx,
        'GET',
        '/accounts',
      );
      const account = items.find(a => a.owner === owner);
      if (!account) {
        throw new ActionError(
          `${owner} has no account yet (or you may not see it); it opens with its first charge or starting balance`,
        );
      }
      const amountMinor = parseMoneyInput(ctx.input.amount, account.currency);
      if (!amountMinor) {
        throw new ActionError(
          `'${ctx.input.amount}' is not a positive amount of ${account.currency}`,
        );
      }
      const amount = formatMoney(amountMinor, account.currency, 'en');
      if (ctx.isDryRun) {
        ctx.logger.info(`Would credit ${amount} to ${owner}`);
        ctx.output('accountId', account.id);
        ctx.output(
          'balance',
          formatMoney(account.balanceMinor, account.currency, 'en'),
        );
        ctx.output('created', false);
        return;
      }
      const result = await ctx.checkpoint<TopUpResult>({
        key: `appliances-top-up-${account.id}-${ctx.input.reference}`,
        fn: () =>
          callAppliances<TopUpResult>(
            deps,
            ctx,
            'POST',
            `/accounts/${encodeURIComponent(account.id)}/top-ups`,
            { body: { amountMinor, reference: ctx.input.reference } },
          ),
      });
      const balance = formatMoney(
        result.account.balanceMinor,
        result.account.currency,
        'en',
      );
      ctx.logger.info(
        result.created
          ? `Credited ${amount} to ${owner}; the balance is ${balance}`
          : `Reference ${ctx.input.reference} was used before; nothing changed; the balance is ${balance}`,
      );
      ctx.output('accountId', account.id);
      ctx.output('balance', balance);
      ctx.output('created', result.created);
    },
  });
}
