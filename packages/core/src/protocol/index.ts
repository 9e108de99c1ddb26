export * from './frames';
export * from './closeCodes';
