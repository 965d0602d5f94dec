// The `utopia` command-line client. It speaks only the public REST API (see docs/api.md);
// its commands arrive with the claims and nodes features.
export const CLI_NAME = 'utopia';
