export * from './protocol';
export * from './types';
export * from './errors';
