// Every value imported from core goes through here, so the bundle carries one import
// statement for it (see reactImports.ts).
export { createClient, INITIAL_SNAPSHOT } from '@lifeline/core';
