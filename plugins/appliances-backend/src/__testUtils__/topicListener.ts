import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';

/**
 * Another plugin listening on `topic`, as the catalog module does, plus the
 * real in-process events service shared by plugins as in the backend (the
 * test backend's mock gives each plugin its own). `received` fills as events arrive.
 */
export function topicListener(topic: string) {
  const received: string[] = [];
  const listener = createBackendPlugin({
    pluginId: 'listener',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'listener',
            topics: [topic],
            onEvent: async event => {
              received.push(event.topic);
            },
          });
        },
      });
    },
  });
  return { features: [listener, eventsServiceFactory], received };
}
