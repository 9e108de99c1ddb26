// The proxy agents people use with wss:// (https-proxy-agent, socks-proxy-agent,
// proxy-agent, pac-proxy-agent) are built on agent-base, whose `protocol` is a GETTER
// that reads the call stack: 'https:' when called from inside Node's https module,
// 'http:' otherwise. createNodeClient read it from its own stack ('http:') and refused
// such an agent for a wss:// URL with BAD_OPTION, although Node accepts it for https.
// agent-base's rule is replicated here (no dependency on the package).
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { createNodeClient, isLifelineNodeError } from '../src/index';

/** agent-base 7's rule for `protocol`: the call stack decides. */
class StackProtocolAgent extends https.Agent {
  get protocol(): string {
    const stack = new Error().stack ?? '';
    return stack.split('\n').some((l) => l.includes('(https.js:') || l.includes('node:https:')) ? 'https:' : 'http:';
  }
  set protocol(_v: string) {
    // https.Agent's constructor assigns it; agent-base keeps only an explicit later value.
  }
}

const create = (url: string, agent: unknown) => {
  try {
    const c = createNodeClient({ url, agent: agent as https.Agent, autoConnect: false });
    void c.close();
    return 'accepted';
  } catch (e) {
    return isLifelineNodeError(e, 'BAD_OPTION') ? `BAD_OPTION: ${(e as Error).message}` : String(e);
  }
};

describe('an agent whose protocol is a getter (agent-base proxy agents)', () => {
  it('Node itself accepts it for an https request (control)', async () => {
    const agent = new StackProtocolAgent();
    const code = await new Promise<string>((resolve) => {
      try {
        const req = https.request({ host: '127.0.0.1', port: 1, agent }, () => resolve('response'));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        req.end();
      } catch (e) {
        resolve((e as NodeJS.ErrnoException).code ?? String(e));
      }
    });
    expect(code).toBe('ECONNREFUSED'); // not ERR_INVALID_PROTOCOL
  });

  it('is accepted by createNodeClient for a wss:// url (it was refused with BAD_OPTION)', () => {
    expect(create('wss://127.0.0.1:1/v1', new StackProtocolAgent())).toBe('accepted');
  });

  it('an agent stating its protocol as a value (own or inherited) is still checked', () => {
    expect(create('ws://127.0.0.1:1/v1', new https.Agent())).toMatch(/^BAD_OPTION: agent is for https:/);
    const inherited = Object.create(new https.Agent()) as https.Agent; // protocol inherited as a data property
    expect(create('ws://127.0.0.1:1/v1', inherited)).toMatch(/^BAD_OPTION: agent is for https:/);
  });
});
