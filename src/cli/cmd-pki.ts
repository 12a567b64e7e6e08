import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { caToWire } from '../pki/index.js';
import { addConfigFlags, OPENS, output, pagingOptions, tenantOption, withTenant } from './cli-common.js';

type CaJson = ReturnType<typeof caToWire>;

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
      .option(...tenantOption())
      .requiredOption('--cert-file <file>', 'the CA certificate (PEM)')
      .option('--name <name>', 'a name for the CA')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    const certificate = readFileSync(opts.certFile, 'utf8');
    await withTenant(opts, async (gh) => {
      const ca = await gh.pki.cas.register(opts.tenant, { certificate, name: opts.name });
      output(opts, caToWire(ca), caDetails);
    });
  });

  addConfigFlags(
    cas
      .command('verify')
      .description('prove possession of the CA key with a certificate CN=<verification code> it signed')
      .option(...tenantOption())
      .requiredOption('--id <id>', 'CA id')
      .requiredOption('--cert-file <file>', 'the verification certificate (PEM)')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    const certificate = readFileSync(opts.certFile, 'utf8');
    await withTenant(opts, async (gh) => {
      const ca = await gh.pki.cas.verify(opts.tenant, opts.id, { certificate });
      output(opts, caToWire(ca), (c) => `${c.id} verified`);
    });
  });

  addConfigFlags(
    pagingOptions(
      cas
        .command('list')
        .description('list the CAs of a tenant (oldest first)')
        .option(...tenantOption()),
    ),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const list = await gh.pki.cas.list(opts.tenant, { offset: opts.offset, limit: opts.limit });
      output(opts, list.map(caToWire), (d) => d.map(caLine).join('\n') || '(no CAs)');
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
        .option(...tenantOption())
        .requiredOption('--id <id>', 'CA id')
        .option('--json', 'JSON output'),
      OPENS,
    ).action(async (opts) => {
      await withTenant(opts, async (gh) => {
        const ca = await gh.pki.cas.update(opts.tenant, opts.id, { enabled });
        output(opts, caToWire(ca), (c) => `${c.id} ${c.enabled ? 'enabled' : 'disabled'}`);
      });
    });
  }
};
