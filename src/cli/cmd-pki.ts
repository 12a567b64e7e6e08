import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { caToWire } from '../pki/index.js';
import { DEFAULT_TENANT_ID } from '../tenants/index.js';
import { addConfigFlags, output, withGatehouse } from './cli-common.js';

const tenantOption = ['--tenant <id>', 'tenant id (default: the default tenant)', DEFAULT_TENANT_ID] as const;
const count = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(v);
};

const caJson = caToWire;
type CaJson = ReturnType<typeof caJson>;

const caLine = (c: CaJson) =>
  `${c.id}  ${c.kind.padEnd(8)}  ${c.status.padEnd(10)}  ${c.enabled ? 'enabled ' : 'disabled'}  ${c.name ?? '-'}  ${c.subject}`;
const caDetails = (c: CaJson) =>
  [
    `CA id:             ${c.id}`,
    `status:            ${c.status}${c.enabled ? '' : ' (disabled)'}`,
    `subject:           ${c.subject}`,
    `fingerprint:       ${c.fingerprint}`,
    ...(c.verification_code
      ? [
          `verification code: ${c.verification_code} (until ${c.verification_code_expires_at})`,
          'prove possession of the CA key: sign a certificate with CN=<code> and run `gatehouse cas verify`',
        ]
      : []),
  ].join('\n');

/** `gatehouse cas ...`: CAs of a tenant, registered with proof of possession (docs/enrollment.md). */
export const registerPki = (program: Command): void => {
  const cas = program
    .command('cas')
    .description('CA certificates that admit devices (registration with proof of possession)');

  addConfigFlags(
    cas
      .command('register')
      .description('register a root or intermediate CA (unverified); prints its id and verification code')
      .option(...tenantOption)
      .requiredOption('--cert-file <file>', 'the CA certificate (PEM)')
      .option('--name <name>', 'a name for the CA')
      .option('--json', 'JSON output'),
  ).action(async (opts) => {
    const certificate = readFileSync(opts.certFile, 'utf8');
    await withGatehouse(opts, async (gh) => {
      await gh.tenants.get(opts.tenant);
      const ca = await gh.pki.cas.register(opts.tenant, { certificate, name: opts.name });
      output(opts, caJson(ca), caDetails);
    });
  });

  addConfigFlags(
    cas
      .command('verify')
      .description('prove possession of the CA key with a certificate CN=<verification code> it signed')
      .option(...tenantOption)
      .requiredOption('--id <id>', 'CA id')
      .requiredOption('--cert-file <file>', 'the verification certificate (PEM)')
      .option('--json', 'JSON output'),
  ).action(async (opts) => {
    const certificate = readFileSync(opts.certFile, 'utf8');
    await withGatehouse(opts, async (gh) => {
      await gh.tenants.get(opts.tenant);
      const ca = await gh.pki.cas.verify(opts.tenant, opts.id, { certificate });
      output(opts, caJson(ca), (c) => `${c.id} verified`);
    });
  });

  addConfigFlags(
    cas
      .command('list')
      .description('list the CAs of a tenant (oldest first)')
      .option(...tenantOption)
      .option('--offset <n>', 'skip this many', count('--offset'), 0)
      .option('--limit <n>', 'at most this many', count('--limit'), 100)
      .option('--json', 'JSON output'),
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      await gh.tenants.get(opts.tenant);
      const list = await gh.pki.cas.list(opts.tenant, { offset: opts.offset, limit: opts.limit });
      output(opts, list.map(caJson), (d) => d.map(caLine).join('\n') || '(no CAs)');
    });
  });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    addConfigFlags(
      cas
        .command(name)
        .description(enabled ? 'enable a CA' : 'disable a CA (it admits nobody while disabled)')
        .option(...tenantOption)
        .requiredOption('--id <id>', 'CA id')
        .option('--json', 'JSON output'),
    ).action(async (opts) => {
      await withGatehouse(opts, async (gh) => {
        await gh.tenants.get(opts.tenant);
        const ca = await gh.pki.cas.update(opts.tenant, opts.id, { enabled });
        output(opts, caJson(ca), (c) => `${c.id} ${c.enabled ? 'enabled' : 'disabled'}`);
      });
    });
  }
};
