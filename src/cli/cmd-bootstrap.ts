import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type BootstrapConfig, fetchBootstrap, type TemplateMode } from '../bootstrap/index.js';
import type { Gatehouse } from '../wiring.js';
import { addConfigFlags, OPENS, output, tenantOption, withGatehouse, withTenant } from './cli-common.js';
import { registerImport } from './cmd-bootstrap-import.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const readOpt = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file, 'utf8'));
const bootstrapTenant = tenantOption('tenant (Magistrala domain) id');

const configLine = (c: BootstrapConfig) =>
  `${c.id}  ${c.state === 1 ? 'enabled ' : 'disabled'}  ${c.held ? 'held    ' : 'delivers'}  ${c.externalId}  ${c.name ?? '-'}  channels=${c.channels.length}`;
const configJson = (c: BootstrapConfig) => ({
  client_id: c.id,
  external_id: c.externalId,
  name: c.name,
  state: c.state,
  held: c.held,
  channels: c.channels.map((ch) => ch.id),
  content_template: c.contentTemplate,
  device_id: c.deviceId,
});

/**
 * `gatehouse bootstrap ...`: configs and channels through the services (like every command), and
 * `fetch`, which acts as a device over HTTP (see src/bootstrap/bootstrap-client.ts).
 */
export const registerBootstrap = (program: Command): void => {
  const bs = program
    .command('bootstrap')
    .description('Magistrala-compatible bootstrap configs, channels, device fetch');

  addConfigFlags(
    bs
      .command('create')
      .description(
        "create a bootstrap config: it delivers at once (unless --held, or the tenant's hold_new_configs), its client is connected with --enable",
      )
      .option(...bootstrapTenant)
      .requiredOption('--external-id <id>', 'the device-side id (MAC, serial ...)')
      .requiredOption(
        '--external-key <key>',
        'the device-side bootstrap secret (prefer `import` from a file)',
      )
      .option('--name <name>', 'config name (unique in the tenant)')
      .option('--content <text>', 'custom content')
      .option('--content-file <file>', 'custom content from a file')
      .option('--template <mode>', 'content template mode: none, text or json', 'none')
      .option('--channel <id>', 'channel id (repeatable)', collect, [])
      .option('--client-id <uuid>', 'client id (generated when absent)')
      .option('--client-secret <secret>', 'client secret (generated when absent)')
      .option('--client-cert-file <file>', 'client certificate (PEM)')
      .option('--client-key-file <file>', 'client private key (PEM)')
      .option('--ca-cert-file <file>', 'CA certificate(s) (PEM)')
      .option('--device <id>', 'link to a Gatehouse device')
      .option('--enable', "connect the config's client to its channels right away (state 1)")
      .option('--held', 'create it held: the device routes refuse it until `bootstrap release`')
      .option('--no-held', "create it delivering, whatever the tenant's hold_new_configs")
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const c = await gh.bootstrap.configs.create(opts.tenant, {
        externalId: opts.externalId,
        externalKey: opts.externalKey,
        name: opts.name,
        content: opts.content ?? readOpt(opts.contentFile),
        contentTemplate: opts.template as TemplateMode,
        channels: opts.channel,
        clientId: opts.clientId,
        clientSecret: opts.clientSecret,
        clientCert: readOpt(opts.clientCertFile),
        clientKey: readOpt(opts.clientKeyFile),
        caCert: readOpt(opts.caCertFile),
        deviceId: opts.device,
        // Created enabled in one transaction: a crash cannot leave it created but disabled.
        state: opts.enable ? 1 : 0,
        held: opts.held as boolean | undefined,
      });
      output(opts, configJson(c), () => `created ${configLine(c)}`);
    });
  });

  registerImport(bs);

  addConfigFlags(
    bs
      .command('list')
      .description('list bootstrap configs')
      .option(...bootstrapTenant)
      .option('--state <0|1>', 'only disabled (0) or enabled (1) configs')
      .option('--held <true|false>', 'only held (true) or delivering (false) configs')
      .option('--external-id <id>', 'exact external id')
      .option('--name <text>', 'name contains (case-insensitive)')
      .option('--offset <n>', 'skip this many', '0')
      .option('--limit <n>', 'at most this many (≤ 100)', '100')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const { configs, total } = await gh.bootstrap.configs.list(opts.tenant, {
        state: opts.state === undefined ? undefined : opts.state === '1' ? 1 : 0,
        held: opts.held === undefined ? undefined : opts.held === 'true',
        externalId: opts.externalId,
        name: opts.name,
        offset: Number(opts.offset),
        limit: Math.min(100, Number(opts.limit)),
      });
      output(opts, { total, configs: configs.map(configJson) }, () =>
        configs.length === 0 ? '(no configs)' : [...configs.map(configLine), `${total} in total`].join('\n'),
      );
    });
  });

  // The commands that act on one config and take only its id.
  const byId: {
    name: string;
    description: string;
    run(gh: Gatehouse, tenant: string, id: string): Promise<{ json: unknown; text: string }>;
  }[] = [
    ...([1, 0] as const).map((state) => ({
      name: state === 1 ? 'enable' : 'disable',
      description:
        state === 1
          ? "enable a config: connect its client to its channels (Magistrala's state 1)"
          : 'disable a config: disconnect its client from its channels (delivery is not affected: see hold)',
      async run(gh: Gatehouse, tenant: string, id: string) {
        await gh.bootstrap.configs.setState(tenant, id, state);
        return { json: { client_id: id, state }, text: `${id} ${state === 1 ? 'enabled' : 'disabled'}` };
      },
    })),
    ...[true, false].map((held) => ({
      name: held ? 'hold' : 'release',
      description: held
        ? 'hold a config: the device routes refuse it like an unknown external id'
        : 'release a held config: it delivers again',
      async run(gh: Gatehouse, tenant: string, id: string) {
        const c = await gh.bootstrap.configs.setHeld(tenant, id, held);
        return { json: configJson(c), text: `${c.id} ${c.held ? 'held' : 'released'}` };
      },
    })),
    {
      name: 'remove',
      description: 'remove a config',
      async run(gh: Gatehouse, tenant: string, id: string) {
        await gh.bootstrap.configs.remove(tenant, id);
        return { json: { client_id: id, removed: true }, text: `${id} removed` };
      },
    },
  ];
  for (const sw of byId) {
    addConfigFlags(
      bs
        .command(sw.name)
        .description(sw.description)
        .option(...bootstrapTenant)
        .requiredOption('--id <client_id>', 'config id (= client id)')
        .option('--json', 'JSON output'),
      OPENS,
    ).action(async (opts) => {
      await withGatehouse(opts, async (gh) => {
        const { json, text } = await sw.run(gh, opts.tenant, opts.id);
        output(opts, json, () => text);
      });
    });
  }

  addConfigFlags(
    bs
      .command('settings')
      .description("show or change the tenant's bootstrap settings")
      .option(...bootstrapTenant)
      .option(
        '--hold-new-configs <on|off>',
        'new configs start held (on) or deliver at once (off, the default)',
      )
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const value = opts.holdNewConfigs as string | undefined;
      if (value !== undefined && !['on', 'off', 'true', 'false'].includes(value))
        throw new Error('--hold-new-configs must be on or off');
      const s =
        value === undefined
          ? await gh.bootstrap.configs.getSettings(opts.tenant)
          : await gh.bootstrap.configs.setSettings(opts.tenant, {
              holdNewConfigs: value === 'on' || value === 'true',
            });
      output(
        opts,
        { hold_new_configs: s.holdNewConfigs },
        (d) => `hold_new_configs=${d.hold_new_configs ? 'on' : 'off'}`,
      );
    });
  });

  const channels = bs.command('channels').description('channels that configs refer to');
  addConfigFlags(
    channels
      .command('create')
      .description('create a channel; prints its id')
      .option(...bootstrapTenant)
      .requiredOption('--name <name>', 'channel name (unique in the tenant)')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const c = await gh.bootstrap.channels.create(opts.tenant, { name: opts.name });
      output(opts, { id: c.id, name: c.name }, (d) => d.id);
    });
  });
  addConfigFlags(
    channels
      .command('list')
      .description('list channels')
      .option(...bootstrapTenant)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withGatehouse(opts, async (gh) => {
      const { channels: list } = await gh.bootstrap.channels.list(opts.tenant, { offset: 0, limit: 100 });
      output(
        opts,
        list.map((c) => ({ id: c.id, name: c.name })),
        (d) => d.map((c) => `${c.id}  ${c.name}`).join('\n') || '(no channels)',
      );
    });
  });

  bs.command('fetch')
    .description('fetch a config as a device would, over HTTP (plain, --secure or --v2)')
    .requiredOption('--url <url>', 'Gatehouse URL, e.g. http://127.0.0.1:8080')
    .requiredOption('--external-id <id>', 'external id')
    .requiredOption('--external-key <key>', 'external key')
    .option('--secure', "Magistrala's secure mode (needs --encrypt-key)")
    .option('--encrypt-key <key>', 'the secure-mode key (16, 24 or 32 bytes)')
    .option('--v2', 'bootstrap v2 (needs --tenant)')
    .option(...tenantOption('tenant (domain) id, for --v2'))
    .option('--json', 'JSON output (the default output is also JSON: the config as delivered)')
    .action(async (opts) => {
      if (opts.secure && opts.v2) throw new Error('choose --secure or --v2, not both');
      const config = await fetchBootstrap({
        url: opts.url,
        externalId: opts.externalId,
        externalKey: opts.externalKey,
        mode: opts.v2 ? 'v2' : opts.secure ? 'secure' : 'plain',
        encryptKey: opts.encryptKey,
        tenantId: opts.tenant,
      });
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });
};
