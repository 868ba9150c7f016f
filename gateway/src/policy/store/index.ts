export * from './agreement-repo.js';
