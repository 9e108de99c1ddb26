export * from './bins';
export * from './reconnectTimes';
export * from './delivery';
export * from './accepts';
