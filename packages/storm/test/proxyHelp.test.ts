// Trial findings on `lifeline-storm proxy`: `--help` listed the proxy's flags on its usage
// line only, without what they take (STEPS was explained nowhere but the README); and a
// `--target ws://127.0.0.1:8080/v1` was echoed in the banner as where traffic goes,
// although the proxy forwards bytes and the path is the client's to ask for.
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/cli/args';
import { proxyHeadline } from '../src/cli/proxyCommand';
import { parseSchedule } from '../src/proxy/schedule';

describe('proxy --help', () => {
  it('describes each proxy flag', () => {
    const section = USAGE.slice(USAGE.indexOf('Proxy options'));
    expect(section).not.toBe(USAGE);
    for (const flag of ['--listen PORT', '--target URL', '--latency MS', '--bandwidth BYTES_PER_S', '--schedule STEPS']) expect(section).toContain(flag);
  });

  it('its --schedule example parses, with units in the time and the latency', () => {
    const example = /--schedule STEPS[\s\S]*?e\.g\. (\S+)/.exec(USAGE.slice(USAGE.indexOf('Proxy options')))?.[1];
    expect(example).toBeDefined();
    const steps = parseSchedule(example!);
    expect(steps.length).toBeGreaterThan(1);
    expect(example).toMatch(/\d+s:/);
    expect(example).toMatch(/latency=\d+(ms|s)/);
  });
});

describe('proxy banner: where traffic goes', () => {
  it('echoes a target without a path as typed', () => {
    expect(proxyHeadline('ws://127.0.0.1:5', 'ws://127.0.0.1:9')).toBe('lifeline-storm proxy listening on ws://127.0.0.1:5 → ws://127.0.0.1:9');
    expect(proxyHeadline('ws://127.0.0.1:5', 'ws://127.0.0.1:9/')).toBe('lifeline-storm proxy listening on ws://127.0.0.1:5 → ws://127.0.0.1:9/');
    expect(proxyHeadline('ws://127.0.0.1:5', '127.0.0.1:9')).toBe('lifeline-storm proxy listening on ws://127.0.0.1:5 → 127.0.0.1:9');
  });

  it('says a path in --target is not used, and where the client puts it', () => {
    expect(proxyHeadline('ws://127.0.0.1:5', 'ws://127.0.0.1:9/v1')).toBe(
      'lifeline-storm proxy listening on ws://127.0.0.1:5 → 127.0.0.1:9 (it forwards bytes, not paths: "/v1" in --target is not used; a client puts the path in its own URL, e.g. ws://127.0.0.1:5/v1)',
    );
    expect(proxyHeadline('ws://127.0.0.1:5', 'http://localhost:9/echo?x=1')).toMatch(/→ localhost:9 \(it forwards bytes, not paths: "\/echo\?x=1" in --target/);
  });
});
