// The create form's fields and the request they make, both ways: the form builds a
// CreateClaimRequest, and a request (from the YAML/JSON tab) fills the form again.
import type { CreateClaimRequest, RestartPolicy } from '@utopia/shared';

/** ClaimForm is used for the form's text fields, as typed. */
export interface ClaimForm {
  name: string;
  image: string;
  gpuCount: string;
  gpuModel: string;
  minGpuMemoryMiB: string;
  /** One argument per line. */
  command: string;
  /** KEY=value per line. */
  env: string;
  /** Comma-separated container ports. */
  ports: string;
  /** key=value per line. */
  nodeSelector: string;
  restartPolicy: RestartPolicy | '';
}

/** EMPTY_FORM is used for a new claim. */
export const EMPTY_FORM: ClaimForm = {
  name: '',
  image: 'busybox:latest',
  gpuCount: '1',
  gpuModel: '',
  minGpuMemoryMiB: '',
  command: '',
  env: '',
  ports: '',
  nodeSelector: '',
  restartPolicy: '',
};

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    const eq = line.indexOf('=');
    if (eq === -1) out[line] = '';
    else out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// Numbers are sent as typed when they are not numbers, so the API names the field and says why.
function numberOrText(text: string): number | string {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** toRequest is used to build the request the form describes; empty fields are left out. */
export function toRequest(form: ClaimForm): Record<string, unknown> {
  const resources: Record<string, unknown> = { gpuCount: numberOrText(form.gpuCount) };
  if (form.gpuModel.trim()) resources.gpuModel = form.gpuModel.trim();
  if (form.minGpuMemoryMiB.trim()) resources.minGpuMemoryMiB = numberOrText(form.minGpuMemoryMiB);
  const spec: Record<string, unknown> = { image: form.image.trim(), resources };
  if (lines(form.command).length > 0) spec.command = lines(form.command);
  if (lines(form.env).length > 0) spec.env = pairs(form.env);
  const ports = form.ports
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (ports.length > 0) spec.ports = ports.map((p) => ({ containerPort: numberOrText(p) }));
  if (lines(form.nodeSelector).length > 0) spec.nodeSelector = pairs(form.nodeSelector);
  if (form.restartPolicy) spec.restartPolicy = form.restartPolicy;
  return form.name.trim() ? { name: form.name.trim(), spec } : { spec };
}

/** fromRequest is used to fill the form from a checked request. */
export function fromRequest(request: CreateClaimRequest): ClaimForm {
  const spec = request.spec;
  return {
    name: request.name ?? '',
    image: spec.image,
    gpuCount: String(spec.resources.gpuCount),
    gpuModel: spec.resources.gpuModel ?? '',
    minGpuMemoryMiB: spec.resources.minGpuMemoryMiB?.toString() ?? '',
    command: (spec.command ?? []).join('\n'),
    env: Object.entries(spec.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    ports: (spec.ports ?? []).map((p) => p.containerPort).join(', '),
    nodeSelector: Object.entries(spec.nodeSelector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    restartPolicy: spec.restartPolicy ?? '',
  };
}
