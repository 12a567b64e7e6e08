import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { keyPem } from '../core/pem.js';
import { type Factory, parseFactoryPublicKey } from '../factory/index.js';
import { addConfigFlags, OPENS, output, tenantOption, withTenant } from './cli-common.js';

const wire = (f: Factory) => ({
  id: f.id,
  name: f.name,
  key_type: f.keyType,
  fingerprint: f.fingerprint,
  enabled: f.disabledAt === null,
  created_ts: new Date(f.createdAt).toISOString(),
});

const line = (f: Factory) =>
  `${f.id}  ${f.name}  ${f.keyType}  ${f.fingerprint}${f.disabledAt === null ? '' : '  (disabled)'}`;

const keyTypes = ['ed25519', 'ec', 'rsa'] as const;

/** `gatehouse factories ...`: the keys factory stations sign manifests with (docs/factory-manifests.md). */
export const registerFactories = (program: Command): void => {
  const factories = program.command('factories').description('factory keys that sign device manifests');

  factories
    .command('new-key')
    .description('generate a factory signing key (offline): the private key (mode 0600) and its public key')
    .requiredOption(
      '--out <file>',
      'the private key file to write (PEM, PKCS#8); the public key goes to <file>.pub',
    )
    .option(
      '--type <type>',
      `key type: ${keyTypes.join(', ')}`,
      (v: string) => {
        if (!(keyTypes as readonly string[]).includes(v))
          throw new InvalidArgumentError(`expected one of ${keyTypes.join(', ')}`);
        return v;
      },
      'ed25519',
    )
    .action((opts: { out: string; type: (typeof keyTypes)[number] }) => {
      if (existsSync(opts.out)) throw new InvalidArgumentError(`${opts.out} exists; not overwriting a key`);
      const pair =
        opts.type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 3072 })
          : opts.type === 'ec'
            ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
            : generateKeyPairSync('ed25519');
      const pub = keyPem(pair.publicKey);
      writeFileSync(opts.out, keyPem(pair.privateKey), {
        mode: 0o600,
        flag: 'wx',
      });
      writeFileSync(`${opts.out}.pub`, pub, { flag: 'wx' });
      process.stdout.write(`${pub}fingerprint: ${parseFactoryPublicKey(pub).fingerprint}\n`);
    });

  addConfigFlags(
    factories
      .command('register')
      .description('register a factory public key, so that manifests it signs can be imported')
      .option(...tenantOption())
      .requiredOption('--name <name>', 'a name for the station or line')
      .requiredOption('--public-key <file>', 'the public key (SPKI PEM)')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    const pem = readFileSync(opts.publicKey, 'utf8');
    await withTenant(opts, async (gh, tenantId) => {
      const f = await gh.factory.factories.register(tenantId, { name: opts.name, publicKeyPem: pem });
      output(opts, wire(f), (w) => `registered factory ${w.id} (${w.name}, ${w.key_type}, ${w.fingerprint})`);
    });
  });

  addConfigFlags(
    factories
      .command('list')
      .description('list factory keys')
      .option(...tenantOption())
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh, tenantId) => {
      const list = await gh.factory.factories.list(tenantId);
      output(opts, list.map(wire), () => (list.length === 0 ? '(no factories)' : list.map(line).join('\n')));
    });
  });

  addConfigFlags(
    factories
      .command('disable')
      .description('refuse manifests signed by this factory key from now on (devices keep naming it)')
      .argument('<id>', 'factory id')
      .option(...tenantOption())
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (id: string, opts) => {
    await withTenant(opts, async (gh, tenantId) => {
      const f = await gh.factory.factories.disable(tenantId, id);
      output(opts, wire(f), () => `disabled ${line(f)}`);
    });
  });
};
