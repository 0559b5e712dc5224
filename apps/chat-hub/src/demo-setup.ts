import { randomBytes } from 'node:crypto';
import type { ChatChannelConfig, ChatTokenConfig } from './auth';

export interface DemoSetup {
  tokens: ChatTokenConfig[];
  channels: ChatChannelConfig[];
  /** The page's address for each human, token included: open one per browser tab. */
  links(url: string): { id: string; url: string }[];
}

/**
 * Channels and fresh random tokens for trying the hub with nothing configured (`npm start`):
 * two people and an agent. The tokens live only as long as the process that printed them.
 */
export function createDemoSetup(): DemoSetup {
  const secret = () => randomBytes(18).toString('base64url');
  const tokens: ChatTokenConfig[] = [
    { token: secret(), id: 'ada', kind: 'human', name: 'Ada', channels: '*', announce: true },
    { token: secret(), id: 'grace', kind: 'human', name: 'Grace', channels: '*' },
    { token: secret(), id: 'demo-agent', kind: 'agent', name: 'Demo agent', channels: ['general'] },
  ];
  return {
    tokens,
    channels: [
      { id: 'general', topic: 'Agents and people, together' },
      { id: 'random', topic: 'Anything else' },
    ],
    links: (url) =>
      tokens.filter((t) => t.kind === 'human').map((t) => ({ id: t.id, url: `${url}/#token=${encodeURIComponent(t.token)}` })),
  };
}
