/** CLI_VERSION is used by `utopia --version` (keep in step with package.json). */
export const CLI_VERSION = '0.1.0';
