// Every React import goes through here so the bundle carries one import statement
// instead of one per file (the size budget is 1.5 KB min+gzip); a namespace import, so the
// bundle spells no `name as alias` per hook (R.useMemo compresses better: ~19 B).
import * as R from 'react';
export { R };
export type { ReactNode } from 'react';
