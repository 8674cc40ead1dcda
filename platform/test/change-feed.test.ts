import { describe, expect, it } from 'vitest';
import { ChangeFanOut, changesOf, notifiedId, serverSentEvent, type EntityChange } from '../src/http/change-feed.js';

const PRODUCT_A = '7d1f0a52-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
const PRODUCT_B = '0b8e6f1c-2d3e-4f50-9a6b-7c8d9e0f1a2b';
const product = (id: string): EntityChange => ({ typename: 'Product', id });

describe('serverSentEvent', () => {
  it('frames an event with its data and a blank line', () => {
    expect(serverSentEvent('change', '{"typename":"Product","id":"1"}')).toBe('event: change\ndata: {"typename":"Product","id":"1"}\n\n');
  });

  it('gives every line of the data its own data field, so no line break can end the event early', () => {
    expect(serverSentEvent('resync', 'one\ntwo\r\nthree\rfour')).toBe('event: resync\ndata: one\ndata: two\ndata: three\ndata: four\n\n');
  });
});

describe('notifiedId', () => {
  it('takes a UUID, in lower case', () => {
    expect(notifiedId(PRODUCT_A.toUpperCase())).toBe(PRODUCT_A);
  });

  it.each(['', 'not-an-id', `${PRODUCT_A} `, `${PRODUCT_A},${PRODUCT_B}`])('refuses %j', (payload) => {
    expect(notifiedId(payload)).toBeUndefined();
  });
});

describe('changesOf', () => {
  it('yields the changes of the ids asked for, in order, and no others', async () => {
    const feed = new ChangeFanOut();
    const changes = changesOf(feed, [PRODUCT_A.toUpperCase()]);
    feed.publish(product(PRODUCT_B));
    feed.publish(product(PRODUCT_A));
    feed.publish(product(PRODUCT_B));
    feed.publish(product(PRODUCT_A));
    expect(await changes.next()).toEqual({ value: product(PRODUCT_A), done: false });
    expect(await changes.next()).toEqual({ value: product(PRODUCT_A), done: false });
    const pending = changes.next();
    feed.publish(product(PRODUCT_A));
    expect(await pending).toEqual({ value: product(PRODUCT_A), done: false });
  });

  it('yields every id asked for on a resync, since any may have changed unseen', async () => {
    const feed = new ChangeFanOut();
    const changes = changesOf(feed, [PRODUCT_A, PRODUCT_B]);
    feed.resync('Product');
    expect(await changes.next()).toEqual({ value: product(PRODUCT_A), done: false });
    expect(await changes.next()).toEqual({ value: product(PRODUCT_B), done: false });
  });

  it('stops following the feed when the consumer returns', async () => {
    const feed = new ChangeFanOut();
    const changes = changesOf(feed, [PRODUCT_A]);
    expect(feed.size).toBe(1);
    await changes.return?.();
    expect(feed.size).toBe(0);
    feed.publish(product(PRODUCT_A));
    expect(await changes.next()).toEqual({ value: undefined, done: true });
  });

  it('ends a waiting consumer when the feed stops', async () => {
    const feed = new ChangeFanOut();
    const changes = changesOf(feed, [PRODUCT_A]);
    const pending = changes.next();
    feed.end();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(feed.size).toBe(0);
  });
});
