// Reads and writes of the REST API as TanStack Query hooks; each answer checked by its schema.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ApiTokenList,
  CreatedApiToken,
  CreatedJoinToken,
  EventList,
  GpuClaim,
  JoinTokenList,
  LoginResponse,
  Node,
  ProxySession,
  User,
  UserList,
  wireCheck,
  type CreateApiTokenRequest,
  type CreateJoinTokenRequest,
  type CreateUserRequest,
  type UpdateNodeRequest,
  type UpdateUserRequest,
} from '@utopia/shared';
import { ApiError, request, send } from './client.js';

const isUser = wireCheck(User);
const isUserList = wireCheck(UserList);
const isClaim = wireCheck(GpuClaim);
const isNode = wireCheck(Node);
const isJoinTokenList = wireCheck(JoinTokenList);
const isCreatedJoinToken = wireCheck(CreatedJoinToken);
const isApiTokenList = wireCheck(ApiTokenList);
const isCreatedApiToken = wireCheck(CreatedApiToken);
const isLogin = wireCheck(LoginResponse);
const isEventList = wireCheck(EventList);
const isProxySession = wireCheck(ProxySession);

/** Checked is used to name the type a wire check proves. */
type Checked<G> = G extends (v: unknown) => v is infer T ? T : never;

/** login is used by the sign-in page. */
export function login(username: string, password: string) {
  return request('/api/auth/login', isLogin, {
    method: 'POST',
    body: { username, password },
  });
}

/** fetchMe is used to check a pasted API token and to know who is signed in. */
export function fetchMe() {
  return request('/api/auth/me', isUser);
}

/** useMe is used to know the signed-in user and role. */
export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000 });
}

/** useClaim is used by a claim's page: the claim with its events, refreshed on each change. */
export function useClaim(id: string, version: number | undefined) {
  return useQuery({
    queryKey: ['claim', id, version],
    queryFn: () => request(`/api/gpu-claims/${encodeURIComponent(id)}`, isClaim),
    placeholderData: (previous) => previous,
    // The watch stream is the fast path; a read every few seconds is the safety net (new events,
    // and a claim that is gone), should a stream stall behind a proxy.
    refetchInterval: 5000,
    retry: (count, err) => !(err instanceof ApiError && err.status === 404) && count < 3,
  });
}

/** useNode is used by a node's page. */
export function useNode(id: string) {
  return useQuery({
    queryKey: ['node', id],
    queryFn: () => request(`/api/nodes/${encodeURIComponent(id)}`, isNode),
  });
}

/** EventFilter is used to narrow the recent events: one node's, or the whole cluster's. */
export interface EventFilter {
  nodeId?: string;
  limit?: number;
}

/** useEvents is used by the overview and a node's page: recent events, newest first. */
export function useEvents(filter: EventFilter) {
  const query = new URLSearchParams({ limit: String(filter.limit ?? 20) });
  if (filter.nodeId !== undefined) query.set('nodeId', filter.nodeId);
  return useQuery({
    queryKey: ['events', filter.nodeId ?? '', filter.limit ?? 20],
    queryFn: () => request(`/api/events?${query.toString()}`, isEventList),
    placeholderData: (previous) => previous,
    // No stream carries events; a read every few seconds keeps the list current.
    refetchInterval: 5000,
  });
}

/** useProxySession is used by a claim's "Open" buttons: a one-time link to a port on the proxy. */
export function useProxySession(claimId: string) {
  return useMutation({
    mutationFn: (port: number) =>
      request(`/api/gpu-claims/${encodeURIComponent(claimId)}/proxy-sessions`, isProxySession, {
        method: 'POST',
        body: { port },
      }),
  });
}

/** useCreateClaim is used by the create form. */
export function useCreateClaim() {
  return useMutation({
    mutationFn: (body: unknown) => request('/api/gpu-claims', isClaim, { method: 'POST', body }),
  });
}

/** useDeleteClaim is used by a claim's page. */
export function useDeleteClaim() {
  return useMutation({
    mutationFn: (id: string) =>
      send(`/api/gpu-claims/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  });
}

/** useNodeActions is used by admins: cordon, labels, drain, delete. */
export function useNodeActions(id: string) {
  const qc = useQueryClient();
  const path = `/api/nodes/${encodeURIComponent(id)}`;
  const done = { onSuccess: () => qc.invalidateQueries({ queryKey: ['node', id] }) };
  return {
    update: useMutation({
      mutationFn: (body: UpdateNodeRequest) => request(path, isNode, { method: 'PATCH', body }),
      ...done,
    }),
    drain: useMutation({
      mutationFn: () => send(`${path}/drain`, { method: 'POST' }),
      ...done,
    }),
    remove: useMutation({ mutationFn: () => send(path, { method: 'DELETE' }) }),
  };
}

/** useUsers is used by the admin's users page. */
export function useUsers() {
  return useQuery({ queryKey: ['users'], queryFn: () => request('/api/users', isUserList) });
}

/** useUserActions is used to create users and change them. */
export function useUserActions() {
  const qc = useQueryClient();
  const onSuccess = () => qc.invalidateQueries({ queryKey: ['users'] });
  return {
    create: useMutation({
      mutationFn: (body: CreateUserRequest) =>
        request('/api/users', isUser, { method: 'POST', body }),
      onSuccess,
    }),
    update: useMutation({
      mutationFn: ({ id, body }: { id: string; body: UpdateUserRequest }) =>
        request(`/api/users/${encodeURIComponent(id)}`, isUser, { method: 'PATCH', body }),
      onSuccess,
    }),
  };
}

/** useJoinTokens is used by the admin's join tokens page. */
export function useJoinTokens() {
  return useQuery({
    queryKey: ['join-tokens'],
    queryFn: () => request('/api/join-tokens', isJoinTokenList),
  });
}

/** useJoinTokenActions is used to create and revoke join tokens. */
export function useJoinTokenActions() {
  return useCreateRevoke<CreateJoinTokenRequest, Checked<typeof isCreatedJoinToken>>(
    'join-tokens',
    '/api/join-tokens',
    isCreatedJoinToken,
  );
}

/** useApiTokens is used by the "my API tokens" page. */
export function useApiTokens() {
  return useQuery({
    queryKey: ['api-tokens'],
    queryFn: () => request('/api/auth/tokens', isApiTokenList),
  });
}

/** useApiTokenActions is used to create and revoke one's own API tokens. */
export function useApiTokenActions() {
  return useCreateRevoke<CreateApiTokenRequest, Checked<typeof isCreatedApiToken>>(
    'api-tokens',
    '/api/auth/tokens',
    isCreatedApiToken,
  );
}

// Tokens of both kinds: POST to the collection answers the secret once, DELETE /:id revokes.
function useCreateRevoke<Body, Created>(
  key: string,
  path: string,
  isCreated: (v: unknown) => v is Created,
) {
  const qc = useQueryClient();
  const onSuccess = () => qc.invalidateQueries({ queryKey: [key] });
  return {
    create: useMutation({
      mutationFn: (body: Body) => request(path, isCreated, { method: 'POST', body }),
      onSuccess,
    }),
    revoke: useMutation({
      mutationFn: (id: string) => send(`${path}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
      onSuccess,
    }),
  };
}
