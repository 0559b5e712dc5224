import { setupRedisForVitest } from './src/index';

export default setupRedisForVitest;
