import type { TestProject } from 'vitest/node';
export default function setup(project: TestProject) {
  project.provide('redisUrl', 'redis://127.0.0.1:6390');
}
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
