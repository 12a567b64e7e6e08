import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  buildPlan,
  FactoryKeyError,
  type KeygenSummary,
  keyTypes,
  MAX_COUNT,
  MAX_RSA_BITS,
  MIN_RSA_BITS,
  manifestFormats,
  parseFactoryPrivateKey,
  runKeygen,
} from '../factory/index.js';
import { CliExit, output } from './cli-common.js';
import { createProgress } from './progress.js';

/**
 * `gatehouse keygen`: device key pairs and their manifest, offline, on every core
 * (docs/factory-manifests.md, "Generating keys"). Needs no data dir, database or server.
 */

const MAX_WORKERS = 1024;

const collect = (v: string, prev: string[]) => [...prev, v];
const intIn = (name: string, min: number, max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return Number(v);
};

const summaryLine = (s: KeygenSummary) =>
  [
    `${s.count.toLocaleString('en-US')} ${s.keyType} keys in ${s.seconds.toFixed(1)} s (${Math.round(s.keysPerSecond).toLocaleString('en-US')}/s, ${s.workers} workers)`,
    `  keys:      ${s.keysDir}/`,
    `  manifest:  ${s.manifest} (sha256 ${s.manifestSha256})`,
    ...(s.signature ? [`  signature: ${s.signature}`] : []),
  ].join('\n');

const loadFactoryKey = (file: string) => {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliExit(`--sign-with ${file}: ${(e as Error).message}`, 1);
  }
  try {
    return parseFactoryPrivateKey(pem).key;
  } catch (e) {
    if (e instanceof FactoryKeyError) throw new CliExit(`--sign-with ${file}: ${e.message}`, 1);
    throw e;
  }
};

export const registerKeygen = (program: Command): void => {
  program
    .command('keygen')
    .description(
      'generate device key pairs (private keys for flashing, one file per device) and a manifest to import; offline',
    )
    .requiredOption('--out <dir>', 'output directory (keys/ and manifest.<format> are created in it)')
    .option('--count <n>', `number of devices (1 to ${MAX_COUNT})`, intIn('--count', 1, MAX_COUNT), 1)
    .addOption(new Option('--type <type>', 'key type').choices(keyTypes).default('rsa'))
    .option(
      '--bits <n>',
      `RSA modulus length (${MIN_RSA_BITS} to ${MAX_RSA_BITS}, default 3072)`,
      intIn('--bits', MIN_RSA_BITS, MAX_RSA_BITS),
    )
    .option(
      '--identity <name=template>',
      'identity attribute (repeatable, at least one): {seq}, {seq:0N}, {mac}, {mac:-}, {mac:hex}; {{ }} for braces',
      collect,
      [],
    )
    .option(
      '--seq-start <n>',
      '{seq} of the first device',
      intIn('--seq-start', 0, Number.MAX_SAFE_INTEGER),
      1,
    )
    .option('--mac-start <mac>', '{mac} of the first device (aa:bb:cc:dd:ee:ff), +1 per device')
    .option('--group <name>', 'inventory group of every device')
    .option('--tag <name=value>', 'inventory tag of every device (repeatable)', collect, [])
    .addOption(new Option('--format <format>', 'manifest format').choices(manifestFormats).default('jsonl'))
    .option('--sign-with <file>', 'factory private key (PEM): writes manifest.<format>.sig')
    .option('--workers <n>', 'worker threads (default: one per core)', intIn('--workers', 1, MAX_WORKERS))
    .option('--json', 'JSON summary on stdout')
    .action(async (opts) => {
      // Everything that can be wrong is refused before the first key.
      const plan = buildPlan({
        count: opts.count,
        keyType: opts.type,
        rsaBits: opts.bits,
        identity: opts.identity,
        seqStart: opts.seqStart,
        macStart: opts.macStart,
        group: opts.group,
        tags: opts.tag,
        format: opts.format,
      });
      const signWith = opts.signWith === undefined ? undefined : loadFactoryKey(opts.signWith);
      const progress = createProgress({ label: 'keygen', total: plan.count, unit: 'keys' });
      let summary: KeygenSummary;
      try {
        summary = await runKeygen({
          outDir: opts.out,
          plan,
          workers: opts.workers ?? availableParallelism(),
          ...(signWith ? { signWith } : {}),
          onProgress: (done) => progress.set(done),
          onNotice: (line) => process.stderr.write(`${line}\n`),
        });
      } finally {
        progress.finish();
      }
      output(opts, summary, summaryLine);
    });
};
