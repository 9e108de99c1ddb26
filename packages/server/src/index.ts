export type * from './broker/types';
