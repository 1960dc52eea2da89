export * from './constants';
export * from './environment-config';
export * from './load-config';
export * from './cdk-json';
export * from './stateful-resources';
export * from './names';
export * from './function-limits';
