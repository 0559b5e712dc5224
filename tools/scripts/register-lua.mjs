// `node --import ./tools/scripts/register-lua.mjs`: registers lua-loader.mjs.
import { register } from 'node:module';

register('./lua-loader.mjs', import.meta.url);
