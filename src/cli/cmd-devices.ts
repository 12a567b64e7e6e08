import { type Command, InvalidArgumentError } from 'commander';
import {
  type DeviceStatus,
  type DeviceWireT,
  decodeCursor,
  deviceStatuses,
  deviceToWire,
  encodeCursor,
} from '../devauth/index.js';
import { addConfigFlags, OPENS, output, tenantOption, withTenant } from './cli-common.js';
import { registerDevicesImport } from './cmd-devices-import.js';

const collect = (v: string, prev: string[]) => [...prev, v];
const status = (v: string, prev: DeviceStatus[]) => {
  if (!(deviceStatuses as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${deviceStatuses.join(', ')}`);
  return collect(v, prev) as DeviceStatus[];
};
const positive = (name: string, max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
  return Number(v);
};

/** One line per auth set: the fingerprint as the API and `openssl pkey -pubin -outform DER | sha256sum` give it. */
const authSetLines = (d: DeviceWireT, indent: string) =>
  d.auth_sets.map(
    (a) => `${indent}${a.fingerprint}  ${a.key_type.padEnd(8)}  ${a.status.padEnd(13)}  ${a.id}`,
  );

const deviceLine = (d: DeviceWireT) =>
  `${d.id}  ${d.status.padEnd(13)}  ${JSON.stringify(d.identity_data)}${d.pending_reason ? `  (pending: ${d.pending_reason})` : ''}`;

const deviceDetails = (d: DeviceWireT) =>
  [
    `device:     ${d.id}`,
    `status:     ${d.status}${d.pending_reason ? ` (pending: ${d.pending_reason})` : ''}`,
    `identity:   ${JSON.stringify(d.identity_data)}`,
    `created:    ${d.created_ts}`,
    `updated:    ${d.updated_ts}`,
    ...(d.check_in_time ? [`check-in:   ${d.check_in_time}`] : []),
    `auth sets (fingerprint, key type, status, id):`,
    ...authSetLines(d, '  '),
  ].join('\n');

export const registerDevices = (program: Command): void => {
  const devices = program.command('devices').description('devices and their keys (device authentication)');
  registerDevicesImport(devices);

  addConfigFlags(
    devices
      .command('list')
      .description('list devices (oldest first) with the fingerprints of their keys')
      .option(...tenantOption())
      .option(
        '--status <status>',
        `only devices in this status (repeatable): ${deviceStatuses.join(', ')}`,
        status,
        [],
      )
      .option(
        '--q <text>',
        'device id prefix, key fingerprint prefix, or part of an identity or inventory value',
      )
      .option('--page <n>', 'page number', positive('--page', 1_000_000), 1)
      .option(
        '--after <cursor>',
        'the page after this cursor (keyset pagination; "" for the first page): the same cost at any depth, prints the next cursor',
      )
      .option('--per-page <n>', 'devices per page (at most 500)', positive('--per-page', 500), 100)
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    await withTenant(opts, async (gh) => {
      const byCursor = opts.after !== undefined;
      if (byCursor && opts.page !== 1) throw new InvalidArgumentError('give either --page or --after');
      const {
        devices: list,
        total,
        next,
      } = await gh.devauth.admin.listDevices(opts.tenant, {
        ...(opts.status.length > 0 ? { statuses: opts.status } : {}),
        ...(opts.q === undefined ? {} : { q: opts.q }),
        page: { page: opts.page, perPage: opts.perPage },
        ...(byCursor ? { after: decodeCursor(opts.after) } : {}),
      });
      const wire = list.map(deviceToWire);
      const nextCursor = next && encodeCursor(next);
      output(opts, { total, devices: wire, ...(nextCursor ? { next: nextCursor } : {}) }, () =>
        wire.length === 0
          ? '(no devices)'
          : [
              ...wire.flatMap((d) => [deviceLine(d), ...authSetLines(d, '    ')]),
              `${total} in total`,
              ...(nextCursor ? [`next page: --after ${nextCursor}`] : []),
            ].join('\n'),
      );
    });
  });

  addConfigFlags(
    devices
      .command('show')
      .description('show a device and its keys')
      .argument('<id>', 'device id')
      .option(...tenantOption())
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (id: string, opts) => {
    await withTenant(opts, async (gh) => {
      const d = deviceToWire(await gh.devauth.admin.getDevice(opts.tenant, id));
      output(opts, d, deviceDetails);
    });
  });
};
