// `utopia apply -f claim.yaml`: create the claim unless one of that name exists with that spec.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ClaimList, CreateClaimRequest, GpuClaim, User, wireCheck } from '@utopia/shared';
import { parse } from 'yaml';
import type { CliContext } from '../cli-context.js';
import { CliError, messageOf, usageError } from '../errors.js';

const isCreateRequest = wireCheck(CreateClaimRequest);

/** registerApply is used to add `apply` to the program. */
export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .summary('create a claim from a YAML or JSON file; a no-op when it exists unchanged')
    .requiredOption(
      '-f, --filename <file>',
      'the claim: { name, spec } as POST /api/gpu-claims takes it; - for stdin',
    )
    .addHelpText(
      'after',
      `
The file holds the API's request (docs/api.md), with a name:

  name: train-1
  spec:
    image: pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime
    resources: { gpuCount: 2 }
    command: [python, train.py]

Claims are immutable: applying a changed spec to an existing name is an error (delete it first).

Examples:
  utopia apply -f claim.yaml
  cat claim.json | utopia apply -f -`,
    )
    .action(async (flags: { filename: string }) => {
      const request = readRequest(flags.filename);
      if (request.name === undefined)
        throw usageError(
          `${flags.filename}: a claim to apply needs a name (apply is idempotent by name)`,
        );
      const api = ctx.client();
      const me = await api.call('GET', '/api/auth/me', User);
      const existing = await api.call('GET', '/api/gpu-claims', ClaimList, {
        query: { name: request.name, owner: me.username, limit: 1 },
      });
      const claim = existing.items[0];
      if (claim === undefined) {
        const created = await api.call('POST', '/api/gpu-claims', GpuClaim, { body: request });
        ctx.out(`claim/${created.name} created\n`);
        return;
      }
      if (sameJson(claim.spec, request.spec)) {
        ctx.out(`claim/${claim.name} unchanged\n`);
        return;
      }
      throw new CliError(
        `claim/${claim.name} exists with a different spec; claims are immutable: delete it (utopia delete ${claim.name} --wait) and apply again`,
        { code: 'CONFLICT', status: 409 },
      );
    });
}

function readRequest(file: string): CreateClaimRequest {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${messageOf(err)}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw usageError(`${file} is not YAML or JSON: ${messageOf(err).split('\n')[0] ?? ''}`);
  }
  if (!isCreateRequest(data))
    throw usageError(
      `${file} is not a claim ({ name, spec: { image, resources: { gpuCount } … } }; docs/api.md)`,
    );
  return data;
}

// Key order does not matter; everything else does.
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, canonical(x)]),
    );
  return v;
}
