import type { Command } from 'commander';
import { addConfigFlags, OPENS, output, withGatehouse } from './cli-common.js';

const parseLimit = (v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new Error(`--max-devices must be an integer, got "${v}"`);
  return Number(v);
};

export const registerTenants = (program: Command): void => {
  const tenants = program
    .command('tenants')
    .description('tenants (organisations) and their device tenant tokens');

  addConfigFlags(
    tenants
      .command('create')
      .description('create a tenant; prints its id and device tenant token')
      .requiredOption('--name <name>', 'tenant name')
      .option('--max-devices <n>', 'accepted-device limit (-1 = unlimited)', '-1')
      .option('--json', 'JSON output'),
    [...OPENS, 'tokens'],
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const { tenant, tenantToken } = await gh.tenants.service.create({
        name: opts.name,
        maxDevices: parseLimit(opts.maxDevices),
      });
      output(opts, { id: tenant.id, name: tenant.name, tenant_token: tenantToken }, (d) =>
        [`tenant id:    ${d.id}`, `name:         ${d.name}`, `tenant token: ${d.tenant_token}`].join('\n'),
      );
    });
  });

  addConfigFlags(
    tenants.command('list').description('list tenants').option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const list = await gh.tenants.service.list();
      output(
        opts,
        list.map((t) => ({ id: t.id, name: t.name, max_devices: t.maxDevices })),
        (d) => d.map((t) => `${t.id}  ${t.name}  max_devices=${t.max_devices}`).join('\n'),
      );
    });
  });

  addConfigFlags(
    tenants
      .command('token')
      .description("print a tenant's device tenant token (--rotate: replace it; the old one stops working)")
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--rotate', 'issue a new token and invalidate the old one')
      .option('--json', 'JSON output'),
    [...OPENS, 'tokens'],
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const token = opts.rotate
        ? await gh.tenants.service.rotateTenantToken(opts.tenant)
        : await gh.tenants.service.tenantToken(opts.tenant);
      output(opts, { tenant_id: opts.tenant, tenant_token: token }, (d) => d.tenant_token);
    });
  });

  addConfigFlags(
    tenants
      .command('set-limit')
      .description('set the accepted-device limit of a tenant')
      .requiredOption('--tenant <id>', 'tenant id')
      .requiredOption('--max-devices <n>', '-1 = unlimited')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const n = parseLimit(opts.maxDevices);
      await gh.tenants.service.setMaxDevices(opts.tenant, n);
      output(
        opts,
        { tenant_id: opts.tenant, max_devices: n },
        (d) => `max_devices of ${d.tenant_id} = ${d.max_devices}`,
      );
    });
  });
};
