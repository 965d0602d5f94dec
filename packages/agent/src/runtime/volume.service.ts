import type { AgentVolumeInfo } from '@utopia/shared';
import { agentErrors } from '../agent-error.js';
import { VolumeLabels } from './claim-mounts.js';
import { isRuntimeError, type ContainerRuntime, type VolumeDetails } from './container-runtime.js';
import { guardRuntime, toAgentError } from './container.service.js';

function isUtopiaVolume(v: VolumeDetails): boolean {
  return v.labels[VolumeLabels.Managed] === 'true' && (v.labels[VolumeLabels.Owner] ?? '') !== '';
}

function toInfo(v: VolumeDetails): AgentVolumeInfo {
  return {
    name: v.name,
    owner: v.labels[VolumeLabels.Owner] ?? '',
    volume: v.labels[VolumeLabels.Name] ?? '',
  };
}

/**
 * VolumeService is used to list and delete the named volumes Utopia created on this node. Only
 * volumes with Utopia's labels are visible: the API never touches another volume of the engine.
 */
export class VolumeService {
  readonly #runtime: ContainerRuntime;

  constructor(runtime: ContainerRuntime) {
    this.#runtime = runtime;
  }

  async list(): Promise<AgentVolumeInfo[]> {
    const all = await guardRuntime(() => this.#runtime.listManagedVolumes());
    return all.filter(isUtopiaVolume).map(toInfo);
  }

  /** remove is used to delete a Utopia volume; gone already is fine, one in use is refused. */
  async remove(name: string): Promise<void> {
    const found = await guardRuntime(() => this.#runtime.inspectVolume(name));
    if (found === undefined) return;
    if (!isUtopiaVolume(found)) throw agentErrors.notFound(`volume ${name}`);
    try {
      await this.#runtime.removeVolume(name);
    } catch (err) {
      // Docker refuses while any container, running or stopped, still mounts it.
      if (isRuntimeError(err) && err.kind === 'conflict')
        throw agentErrors.volumeInUse(`volume ${name} is in use: ${err.message}`);
      throw toAgentError(err, 'call');
    }
  }
}
