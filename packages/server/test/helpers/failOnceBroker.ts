import { BrokerUnavailableError, memoryBroker, type Broker } from '../../src/index';

/** A memory broker whose next publish fails as an outage after `failNext()` (once), then works again. */
export function failOnceBroker(): { broker: Broker; failNext: () => void } {
  const inner = memoryBroker();
  let fail = false;
  const broker: Broker = Object.assign(Object.create(inner) as Broker, {
    publish: (channel: string, data: unknown, id: string) => {
      if (fail) {
        fail = false;
        return Promise.reject(new BrokerUnavailableError('broker down for one call'));
      }
      return inner.publish(channel, data, id);
    },
  });
  return { broker, failNext: () => void (fail = true) };
}
