/** Every key netcheck writes in Redis (BullMQ queues included) starts with this prefix. */
export const KEY_PREFIX = 'netcheck';
