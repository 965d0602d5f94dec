// `utopia run IMAGE --gpus 2 … -- CMD…`: create a claim from flags, like `docker run`.
import { Option, type Command } from 'commander';
import {
  GpuClaim,
  type ClaimSpec,
  type CreateClaimRequest,
  type RestartPolicy,
} from '@utopia/shared';
import { collect, parseDuration, parseIntFlag, parseKeyValue, parseNumberFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { usageError } from '../errors.js';
import { formatOne, parseOutputFormat } from '../output/format.js';
import { claimColumns } from './claim-columns.js';
import { waitForClaim } from './wait-for.js';

interface RunFlags {
  gpus: string;
  gpuModel?: string;
  minGpuMemory?: string;
  env?: string[];
  port?: string[];
  nodeSelector?: string[];
  volume?: string[];
  hostPath?: string[];
  cpus?: string;
  memory?: string;
  shmSize?: string;
  label?: string[];
  name?: string;
  restart?: RestartPolicy;
  wait?: boolean;
  timeout: string;
  output?: string;
}

/** registerRun is used to add `run` to the program. */
export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .summary('create a claim: a container from IMAGE with GPUs')
    .argument('<image>', 'container image, e.g. pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime')
    .argument('[command...]', 'command and arguments (after --)')
    .option('--gpus <n>', 'number of GPUs', '1')
    .option('--gpu-model <model>', 'exact GPU model, e.g. "NVIDIA H200"')
    .option('--min-gpu-memory <MiB>', 'least memory per GPU, in MiB')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect)
    .option('-p, --port <port>', 'container port to expose (repeatable)', collect)
    .option('--node-selector <KEY=VALUE>', 'only nodes with this label (repeatable)', collect)
    .option(
      '-v, --volume <NAME:/PATH[:ro]>',
      'your named volume, kept between claims (repeatable)',
      collect,
    )
    .option(
      '--host-path <HOST:/PATH[:ro]>',
      "a host folder the node's admin allows (repeatable)",
      collect,
    )
    .option('--cpus <n>', 'CPU limit, e.g. 4 or 0.5')
    .option('--memory <MiB>', 'memory limit in MiB')
    .option('--shm-size <MiB>', '/dev/shm size in MiB (default 2048, at most half of --memory)')
    .option(
      '-l, --label <KEY=VALUE>',
      'a label of the claim, for `get claims --label` (repeatable)',
      collect,
    )
    .option('--name <name>', 'claim name (lower-case letters, digits, -); default: generated')
    .addOption(
      new Option('--restart <policy>', 'restart policy').choices(['Always', 'OnFailure', 'Never']),
    )
    .option('--wait', 'wait until the claim is Running')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .option('-o, --output <format>', 'print the claim: table, wide, json, yaml, name', 'name')
    .addHelpText(
      'after',
      `
Examples:
  utopia run --gpus 2 --name train -e EPOCHS=10 pytorch/pytorch:latest -- python train.py
  utopia run --gpus 1 -p 8888 --wait jupyter/base-notebook
  utopia run --gpus 1 --restart Never -o json busybox -- nvidia-smi -L`,
    )
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const format = parseOutputFormat(flags.output ?? 'name');
      const timeoutMs = parseDuration('--timeout', flags.timeout);
      const request: CreateClaimRequest = { spec: specFromFlags(image, command, flags) };
      if (flags.name !== undefined) request.name = flags.name;
      if (flags.label)
        request.labels = Object.fromEntries(flags.label.map((l) => parseKeyValue('--label', l)));
      const api = ctx.client();
      let claim = await api.call('POST', '/api/gpu-claims', GpuClaim, { body: request });
      if (flags.wait) {
        claim =
          (await waitForClaim(
            api,
            claim.id,
            claim.name,
            { kind: 'phase', phase: 'Running' },
            timeoutMs,
          )) ?? claim;
      }
      ctx.out(formatOne(claim, format, claimColumns));
    });
}

function specFromFlags(image: string, command: string[], flags: RunFlags): ClaimSpec {
  const spec: ClaimSpec = {
    image,
    resources: { gpuCount: parseIntFlag('--gpus', flags.gpus, 1, 64) },
  };
  if (flags.gpuModel !== undefined) spec.resources.gpuModel = flags.gpuModel;
  if (flags.minGpuMemory !== undefined)
    spec.resources.minGpuMemoryMiB = parseIntFlag(
      '--min-gpu-memory',
      flags.minGpuMemory,
      1,
      10_000_000,
    );
  if (command.length > 0) spec.command = command;
  if (flags.env) spec.env = Object.fromEntries(flags.env.map((e) => parseKeyValue('--env', e)));
  if (flags.port)
    spec.ports = flags.port.map((p) => ({ containerPort: parseIntFlag('--port', p, 1, 65535) }));
  if (flags.nodeSelector)
    spec.nodeSelector = Object.fromEntries(
      flags.nodeSelector.map((e) => parseKeyValue('--node-selector', e)),
    );
  if (flags.restart !== undefined) spec.restartPolicy = flags.restart;
  if (flags.volume)
    spec.volumes = flags.volume.map((v) => {
      const m = mountOf('--volume', v, 'name');
      return { name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) };
    });
  if (flags.hostPath)
    spec.hostPaths = flags.hostPath.map((v) => {
      const m = mountOf('--host-path', v, 'path');
      return { path: m.source, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) };
    });
  if (flags.cpus !== undefined)
    spec.resources.cpus = parseNumberFlag('--cpus', flags.cpus, 0.01, 1024);
  if (flags.memory !== undefined)
    spec.resources.memoryMiB = parseIntFlag('--memory', flags.memory, 6, 100_000_000);
  if (flags.shmSize !== undefined)
    spec.shmSizeMiB = parseIntFlag('--shm-size', flags.shmSize, 1, 100_000_000);
  if (image.startsWith('-')) throw usageError(`image ${image} looks like a flag`);
  return spec;
}

// NAME:/PATH[:ro] (volumes) and /HOST:/PATH[:ro] (host paths); the API checks names and paths.
function mountOf(
  flag: string,
  raw: string,
  kind: 'name' | 'path',
): { name: string; source: string; mountPath: string; readOnly?: boolean } {
  const parts = raw.split(':');
  const readOnly = parts.length === 3 && parts[2] === 'ro';
  const [source, mountPath] = parts;
  if (!source || !mountPath || parts.length > 3 || (parts.length === 3 && !readOnly))
    throw usageError(
      `${flag} ${JSON.stringify(raw)} must be ${kind === 'name' ? 'NAME' : '/HOST'}:/PATH or …:/PATH:ro`,
    );
  return { name: source, source, mountPath, ...(readOnly ? { readOnly: true } : {}) };
}
