export * from './messages';
export * from './channel';
export * from './rpc';
export * from './bridge';
