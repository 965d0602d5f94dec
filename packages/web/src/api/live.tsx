// One claims watch and one nodes watch for the whole signed-in app: every page reads the same
// live picture, so a phase change or a node going Offline shows everywhere without a reload.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { GpuClaim, Node, wireCheck } from '@utopia/shared';
import type { ApiError } from './client.js';
import { watchList } from './watch.js';

const isClaim = wireCheck(GpuClaim);
const isNode = wireCheck(Node);

/** LiveList is used for one watched list: undefined items until the first list arrived. */
export interface LiveList<T> {
  items: T[] | undefined;
  error: ApiError | Error | null;
}

interface Live {
  claims: LiveList<GpuClaim>;
  nodes: LiveList<Node>;
}

const empty: Live = {
  claims: { items: undefined, error: null },
  nodes: { items: undefined, error: null },
};
const LiveContext = createContext<Live>(empty);

function useWatch<T extends { id: string }>(
  url: string,
  isObject: (v: unknown) => v is T,
): LiveList<T> {
  const [state, setState] = useState<LiveList<T>>({ items: undefined, error: null });
  useEffect(
    () =>
      watchList(url, isObject, {
        onItems: (items) => setState({ items, error: null }),
        onError: (error) => setState((s) => ({ ...s, error })),
      }),
    [url, isObject],
  );
  return state;
}

/** LiveProvider is used inside the signed-in layout. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const claims = useWatch('/api/gpu-claims?watch=1', isClaim);
  const nodes = useWatch('/api/nodes?watch=1', isNode);
  return <LiveContext.Provider value={{ claims, nodes }}>{children}</LiveContext.Provider>;
}

/** useLive is used by pages to read the live claims and nodes. */
export function useLive(): Live {
  return useContext(LiveContext);
}
