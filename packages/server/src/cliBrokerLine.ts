import { REDIS_BROKER_DEFAULTS } from './broker/redisOptions';
import { redisDbText } from './broker/redisUrl';

/**
 * The startup line naming the broker, message and meta. A node started without its
 * `LIFELINE_BROKER` came up on the memory broker among Redis nodes, sharing nothing with
 * them, and no line said which broker it had. Never the password (stderr ends up in log
 * stores): a Redis URL is shown as scheme, host, port and database only, `***@` in front
 * when it carries credentials.
 *
 * @param broker `'memory'` or a redis:// (rediss://) URL as `parseCliArgs` returns it
 * @param keyPrefix `--key-prefix`, undefined for the Redis broker's default
 */
export function brokerLine(broker: string, keyPrefix: string | undefined): { msg: string; meta: Record<string, string> } {
  if (broker === 'memory') {
    return { msg: 'broker: memory (channels, history and presence live in this process only; shared with no other node)', meta: { broker: 'memory' } };
  }
  const url = new URL(broker);
  const scheme = url.protocol.replace(/:$/, '');
  const credentials = url.username !== '' || url.password !== '' ? '***@' : '';
  // ioredis' own defaults: port 6379, database 0.
  const db = redisDbText(url) ?? '0';
  const address = `${url.hostname}:${url.port || '6379'}/${db}`;
  const prefix = keyPrefix ?? REDIS_BROKER_DEFAULTS.keyPrefix;
  return {
    msg: `broker: redis at ${scheme}://${credentials}${address}, key prefix ${prefix}`,
    meta: { broker: 'redis', address, keyPrefix: prefix },
  };
}
