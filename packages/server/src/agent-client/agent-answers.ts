// Checks of what node agents answer. An agent is a separate program on another machine, perhaps
// another version or not an agent at all: nothing it sends is used before it matches the schema.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import {
  AgentContainerInfo,
  AgentContainerList,
  AgentCreateContainerResponse,
  AgentMetricsResponse,
  AgentRemoveAllResponse,
} from '@utopia/shared';

/** AnswerCheck is used to turn an agent's parsed JSON into a typed answer, or say what is wrong. */
export type AnswerCheck<T> = (
  json: unknown,
) => { ok: true; value: T } | { ok: false; problem: string };

/** createAnswerCheck is used once per schema: the schema is compiled once, at start. */
export function createAnswerCheck<S extends TSchema>(schema: S): AnswerCheck<Static<S>> {
  const check = TypeCompiler.Compile(schema);
  return (json) => {
    // A newer agent may add fields: drop what this server does not know, then check the rest.
    const value = Value.Clean(schema, json);
    if (check.Check(value)) return { ok: true, value };
    const error = check.Errors(value).First();
    return { ok: false, problem: error ? `${error.path || '/'}: ${error.message}` : 'invalid' };
  };
}

/** AgentAnswers is used to check each kind of agent answer the server reads. */
export const AgentAnswers = {
  createContainer: createAnswerCheck(AgentCreateContainerResponse),
  containerList: createAnswerCheck(AgentContainerList),
  container: createAnswerCheck(AgentContainerInfo),
  metrics: createAnswerCheck(AgentMetricsResponse),
  removeAll: createAnswerCheck(AgentRemoveAllResponse),
} as const;
