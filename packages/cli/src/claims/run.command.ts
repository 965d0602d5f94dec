// `utopia run IMAGE --gpus 2 … -- CMD…`: create a claim from flags, like `docker run`.
import { Option, type Command } from 'commander';
import {
  GpuClaim,
  type ClaimSpec,
  type CreateClaimRequest,
  type RestartPolicy,
} from '@utopia/shared';
import { collect, parseDuration, parseIntFlag, parseKeyValue } from '../args.js';
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
  if (image.startsWith('-')) throw usageError(`image ${image} looks like a flag`);
  return spec;
}
