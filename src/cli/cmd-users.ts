import type { Command } from 'commander';
import { DEFAULT_TENANT_ID } from '../tenants/index.js';
import { addConfigFlags, OPENS, output, withGatehouse } from './cli-common.js';

export const registerUsers = (program: Command): void => {
  const users = program.command('users').description('management users');

  addConfigFlags(
    users
      .command('create')
      .description('create a management user')
      .requiredOption('--email <email>', 'login email')
      .requiredOption('--password <password>', 'password (8..256 characters)')
      .option('--role <role>', 'admin or readonly', 'admin')
      .option('--tenant <id>', 'tenant id (default: the default tenant)', DEFAULT_TENANT_ID)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      await gh.tenants.service.get(opts.tenant);
      const u = await gh.users.service.create({
        tenantId: opts.tenant,
        email: opts.email,
        password: opts.password,
        role: opts.role,
      });
      output(
        opts,
        { id: u.id, email: u.email, role: u.role, tenant_id: u.tenantId },
        (d) => `created user ${d.email} (${d.role}) id ${d.id} in tenant ${d.tenant_id}`,
      );
    });
  });

  addConfigFlags(
    users
      .command('list')
      .description('list the users of a tenant')
      .option('--tenant <id>', 'tenant id', DEFAULT_TENANT_ID)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const list = await gh.users.service.list(opts.tenant);
      output(
        opts,
        list.map((u) => ({ id: u.id, email: u.email, role: u.role })),
        (d) => d.map((u) => `${u.id}  ${u.role.padEnd(8)}  ${u.email}`).join('\n') || '(no users)',
      );
    });
  });
};
