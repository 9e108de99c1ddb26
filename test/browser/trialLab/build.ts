import { fileURLToPath } from 'node:url';
import { bundleLab } from '../labPage';

/**
 * Bundles the trial page with `@lifeline/core`'s and `@lifeline/react`'s built `browser`
 * entries (dist/index.browser.js, what an app bundler picks), React's development build.
 */
export const buildTrial = (): Promise<string> => bundleLab(fileURLToPath(new URL('./entry.tsx', import.meta.url)), { conditions: ['browser'] });
