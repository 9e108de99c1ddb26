// Every React import goes through here so the bundle carries one import statement
// instead of one per file (the size budget is 1.5 KB min+gzip).
export {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useInsertionEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
export type { ReactNode } from 'react';
