/**
 * ControllerSignals is used by the API and the node health loop to wake the controller at once
 * (event-driven), instead of waiting for the periodic resync. Without a running controller the
 * signals go nowhere, and the resync of whichever replica leads catches up.
 */
export interface ControllerSignals {
  claimChanged(claimId: string): void;
  nodesChanged(): void;
  subscribe(listener: SignalListener): () => void;
}

/** SignalListener is used by the controller to receive the signals. */
export interface SignalListener {
  claimChanged(claimId: string): void;
  nodesChanged(): void;
}

/** createControllerSignals is used once per server. */
export function createControllerSignals(): ControllerSignals {
  const listeners = new Set<SignalListener>();
  return {
    claimChanged: (id) => listeners.forEach((l) => l.claimChanged(id)),
    nodesChanged: () => listeners.forEach((l) => l.nodesChanged()),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
