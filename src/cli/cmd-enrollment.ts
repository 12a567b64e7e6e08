import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { toRfc3339 } from '../core/clock.js';
import {
  type BootstrapTemplate,
  type EnrollmentGroup,
  groupToWire,
  type IndividualEnrollment,
  individualToWire,
  type Registration,
  registrationToWire,
} from '../enrollment/index.js';
import type { Gatehouse } from '../wiring.js';
import { addConfigFlags, OPENS, output, pagingOptions, tenantOption, withTenant } from './cli-common.js';

const collect = (v: string, prev: string[]) => [...prev, v];
/** `--tag k=v` (repeatable) → { k: v }; the value may contain "=". */
const tag = (v: string, prev: Record<string, string> | undefined) => {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected name=value, got "${v}"`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
};

const groupLine = (g: EnrollmentGroup) =>
  `${g.id}  ${g.enabled ? 'enabled ' : 'disabled'}  ${g.name}  ca=${g.caId}  identity=${g.identityAttribute}:${g.identitySource}  group=${g.inventoryGroup ?? '-'}  tags=${Object.keys(g.tags).length}${g.bootstrap ? '  bootstrap' : ''}`;

const individualLine = (e: IndividualEnrollment) =>
  `${e.id}  ${e.enabled ? 'enabled ' : 'disabled'}  ${e.registrationId}  group_id=${e.groupId ?? '-'}  group=${e.inventoryGroup ?? '-'}${e.certificateFingerprint ? '  pinned' : ''}`;

const registrationLine = (r: Registration) =>
  `${r.deviceId}  ${r.registrationId}  ca=${r.caId}  group_id=${r.groupId ?? '-'}  individual_id=${r.individualId ?? '-'}  ${toRfc3339(r.createdAt)}`;

const listed = (what: string, lines: string[], total: number) =>
  lines.length === 0 ? `(no ${what})` : [...lines, `${total} in total`].join('\n');

/** `<records> delete --id <id> [--tenant] [--json]`: deletes one record of the tenant. */
const registerDelete = (
  parent: Command,
  spec: {
    description: string;
    id: string;
    remove(gh: Gatehouse, tenantId: string, id: string): Promise<void>;
  },
) =>
  addConfigFlags(
    parent
      .command('delete')
      .description(spec.description)
      .option(...tenantOption())
      .requiredOption('--id <id>', spec.id)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      await spec.remove(gh, opts.tenant, opts.id);
      output(opts, { id: opts.id, deleted: true }, () => `${opts.id} deleted`);
    });
  });

/** The bootstrap template from the --bootstrap-* flags; none of them: no template. */
const bootstrapOf = (opts: Record<string, unknown>): Partial<BootstrapTemplate> | undefined => {
  const channels = opts.bootstrapChannel as string[];
  const { bootstrapContentFile: file, bootstrapTemplate: mode, bootstrapInactive: inactive } = opts;
  const held = opts.bootstrapHeld as boolean | undefined;
  if (file === undefined && mode === undefined && channels.length === 0 && !inactive && held === undefined)
    return undefined;
  return {
    ...(typeof file === 'string' ? { content: readFileSync(file, 'utf8') } : {}),
    ...(mode === undefined ? {} : { contentTemplate: mode as BootstrapTemplate['contentTemplate'] }),
    channels,
    active: !inactive,
    ...(held === undefined ? {} : { held }),
  };
};

const registerGroups = (enrollment: Command) => {
  const groups = enrollment
    .command('groups')
    .description('enrollment groups: per CA, how identity is derived and what admitted devices get');

  addConfigFlags(
    groups
      .command('create')
      .description('create an enrollment group (one per CA)')
      .option(...tenantOption())
      .requiredOption('--name <name>', 'group name (unique in the tenant)')
      .requiredOption('--ca <id>', 'the registered CA the device certificates chain to')
      .option('--identity-attribute <name>', 'identity attribute name (default DeviceId)')
      .addOption(
        new Option('--identity-source <field>', 'certificate field the identity value is read from').choices([
          'cn',
          'subject',
          'serial',
          'fingerprint',
        ]),
      )
      .option('--inventory-group <group>', 'inventory group of admitted devices')
      .option('--tag <name=value>', 'inventory tag of admitted devices (repeatable)', tag)
      .option('--bootstrap-content-file <file>', 'bootstrap config content for admitted devices')
      .addOption(
        new Option('--bootstrap-template <mode>', 'bootstrap content template mode').choices([
          'none',
          'text',
          'json',
        ]),
      )
      .option('--bootstrap-channel <id>', 'bootstrap channel id (repeatable)', collect, [])
      .option(
        '--bootstrap-inactive',
        'create the bootstrap configs disconnected from their channels (state 0)',
      )
      .option('--bootstrap-held', 'create the bootstrap configs held (they deliver nothing until released)')
      .option('--no-bootstrap-held', "create them delivering, whatever the tenant's hold_new_configs")
      .option('--allocation-webhook <id>', 'allocation webhook id')
      .option('--disabled', 'create the group disabled')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    const bootstrap = bootstrapOf(opts);
    await withTenant(opts, async (gh) => {
      const g = await gh.enrollment.groups.create(opts.tenant, {
        name: opts.name,
        caId: opts.ca,
        enabled: !opts.disabled,
        identity: {
          ...(opts.identityAttribute === undefined ? {} : { attribute: opts.identityAttribute }),
          ...(opts.identitySource === undefined ? {} : { source: opts.identitySource }),
        },
        inventoryGroup: opts.inventoryGroup ?? null,
        tags: opts.tag ?? {},
        bootstrap: bootstrap ?? null,
        allocationWebhookId: opts.allocationWebhook ?? null,
      });
      output(opts, groupToWire(g), () => `created ${groupLine(g)}`);
    });
  });

  addConfigFlags(
    pagingOptions(
      groups
        .command('list')
        .description('list enrollment groups (oldest first)')
        .option(...tenantOption())
        .option('--ca <id>', 'only the group of this CA'),
    ),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const { groups: list, total } = await gh.enrollment.groups.list(opts.tenant, {
        offset: opts.offset,
        limit: opts.limit,
        ...(opts.ca === undefined ? {} : { caId: opts.ca }),
      });
      output(opts, { total, groups: list.map(groupToWire) }, () =>
        listed('enrollment groups', list.map(groupLine), total),
      );
    });
  });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    addConfigFlags(
      groups
        .command(name)
        .description(
          enabled ? 'enable an enrollment group' : 'disable an enrollment group (refuses its devices)',
        )
        .option(...tenantOption())
        .requiredOption('--id <id>', 'enrollment group id')
        .option('--json', 'JSON output'),
      OPENS,
    ).action(async (opts) => {
      await withTenant(opts, async (gh) => {
        const g = await gh.enrollment.groups.update(opts.tenant, opts.id, { enabled });
        output(opts, groupToWire(g), () => `${g.id} ${enabled ? 'enabled' : 'disabled'}`);
      });
    });
  }

  registerDelete(groups, {
    description: 'delete an enrollment group (and its individual enrollments)',
    id: 'enrollment group id',
    remove: (gh, tenant, id) => gh.enrollment.groups.remove(tenant, id),
  });
};

const registerIndividuals = (enrollment: Command) => {
  const individuals = enrollment
    .command('individuals')
    .description('individual enrollments: pin, override or refuse one registration id');

  addConfigFlags(
    individuals
      .command('create')
      .description('create an individual enrollment')
      .option(...tenantOption())
      .requiredOption('--registration-id <id>', "the device's registration id (identity value)")
      .option('--disabled', 'refuse this device')
      .option('--group <id>', 'admit it only through this enrollment group')
      .option('--certificate-fingerprint <sha256>', 'admit only this certificate (SHA-256, hex)')
      .option('--inventory-group <group>', 'inventory group (overrides the group)')
      .option('--tag <name=value>', 'inventory tag (repeatable; overrides the group tags)', tag)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const e = await gh.enrollment.individuals.create(opts.tenant, {
        registrationId: opts.registrationId,
        enabled: !opts.disabled,
        groupId: opts.group ?? null,
        certificateFingerprint: opts.certificateFingerprint ?? null,
        inventoryGroup: opts.inventoryGroup ?? null,
        tags: opts.tag ?? null,
      });
      output(opts, individualToWire(e), () => `created ${individualLine(e)}`);
    });
  });

  addConfigFlags(
    pagingOptions(
      individuals
        .command('list')
        .description('list individual enrollments (oldest first)')
        .option(...tenantOption())
        .option('--group <id>', 'only those pinned to this enrollment group'),
    ),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const { individuals: list, total } = await gh.enrollment.individuals.list(opts.tenant, {
        offset: opts.offset,
        limit: opts.limit,
        ...(opts.group === undefined ? {} : { groupId: opts.group }),
      });
      output(opts, { total, individuals: list.map(individualToWire) }, () =>
        listed('individual enrollments', list.map(individualLine), total),
      );
    });
  });

  registerDelete(individuals, {
    description: 'delete an individual enrollment',
    id: 'individual enrollment id',
    remove: (gh, tenant, id) => gh.enrollment.individuals.remove(tenant, id),
  });
};

/** `gatehouse enrollment ...`: certificate-based admission (docs/enrollment.md). */
export const registerEnrollment = (program: Command): void => {
  const enrollment = program
    .command('enrollment')
    .description('certificate-based admission: enrollment groups, individual enrollments, registrations');
  registerGroups(enrollment);
  registerIndividuals(enrollment);

  const registrations = enrollment
    .command('registrations')
    .description('registration records: which enrollment admitted which device');
  addConfigFlags(
    pagingOptions(
      registrations
        .command('list')
        .description('list registration records (most recent first)')
        .option(...tenantOption())
        .option('--group <id>', 'only devices admitted through this enrollment group'),
    ),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const { registrations: list, total } = await gh.enrollment.registrations.list(opts.tenant, {
        offset: opts.offset,
        limit: opts.limit,
        ...(opts.group === undefined ? {} : { groupId: opts.group }),
      });
      output(opts, { total, registrations: list.map(registrationToWire) }, () =>
        listed('registrations', list.map(registrationLine), total),
      );
    });
  });
};
