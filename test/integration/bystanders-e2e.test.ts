import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * Which nodes a diagnosis probes (worker/bystanders.ts), on the lab through signed Slack requests:
 * the target; another node, the control plane included, only when a check of the target toward it
 * failed and nothing on the target explains it, or every one when the API server gives no live
 * node list.
 */
describe('a diagnosis probes the nodes its evidence calls for', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncby', netIndex: 116 });
  });
  after(async () => {
    await h?.close();
  });

  /**
   * `/netcheck <node>`: the report, and the nodes the worker probed for it (its `diagnosed` line).
   * Asked twice, the second answer counted: a diagnosis also starts at once the nodes the target's
   * last one needed (lastBystanders), which would be the previous case's.
   */
  async function check(node: string): Promise<{ text: string; probed: string[] }> {
    await h.check(node);
    const from = h.logLines.length;
    const { report } = await h.check(node);
    return { text: messageText(report), probed: probedIn(h.logLines.slice(from), node) };
  }

  /** The nodes a diagnosis of `node` probed, from its `diagnosed` log line. */
  function probedIn(lines: readonly string[], node: string): string[] {
    const line = lines
      .map((l) => JSON.parse(l) as { msg?: string; node?: string; nodes?: { node: string }[] })
      .find((l) => l.msg === 'diagnosed' && l.node === node);
    assert.ok(line?.nodes, `no diagnosed line for ${node}`);
    return line.nodes.map((n) => n.node).sort();
  }

  it('a healthy worker, the API server answering: the worker alone', async () => {
    const { text, probed } = await check('node-3');
    assert.match(text, /`healthy`/, text);
    assert.deepEqual(probed, ['node-3']);
  });

  it('ICMP dropped on the control plane: node-3 probes the control plane, not the other workers, and names the rule there', async () => {
    await h.withFault({ id: 'icmp-blocked', node: 'cp-1' }, async () => {
      const { text, probed } = await check('node-3');
      assert.deepEqual(probed, ['cp-1', 'node-3']);
      assert.match(JSON.stringify(text), /\*1\. `icmp-blocked`\* on \*cp-1\*/, text);
      assert.doesNotMatch(text, /Failed checks no known cause explains/, text);
    });
  });

  it('VXLAN dropped on node-1: node-3 probes node-1 (its checks toward it fail) and names the rule there', async () => {
    await h.withFault({ id: 'vxlan-8472-blocked', node: 'node-1' }, async () => {
      const { text, probed } = await check('node-3');
      assert.deepEqual(probed, ['node-1', 'node-3']);
      assert.match(JSON.stringify(text), /\*1\. `vxlan-8472-blocked`\* on \*node-1\*/, text);
      assert.doesNotMatch(text, /Failed checks no known cause explains/, text);
    });
  });

  it("VXLAN dropped on node-3 itself: its own firewall decides, so node-3's diagnosis waits for no other node", async () => {
    await h.withFault({ id: 'vxlan-8472-blocked', node: 'node-3' }, async () => {
      const { text, probed } = await check('node-3');
      assert.deepEqual(probed, ['node-3']);
      assert.match(JSON.stringify(text), /\*1\. `vxlan-8472-blocked`\* on \*node-3\*/, text);
      assert.doesNotMatch(text, /Failed checks no known cause explains/, text);
    });
  });

  it('the API server down: the control plane, the other nodes judged on the last node list seen', async () => {
    await h.withFault({ id: 'apiserver-down', node: 'cp-1' }, async () => {
      const { text, probed } = await check('node-3');
      assert.deepEqual(probed, ['cp-1', 'node-3']);
      assert.match(JSON.stringify(text), /\*1\. `apiserver-down`\* on \*cp-1\*/, text);
      assert.match(text, /last node list seen/, text);
    });
  });

  it('the API server down and no node list ever seen: every node, as nothing can say what the cluster looks like', async () => {
    const redis = new Redis(h.redis.url);
    try {
      await h.withFault({ id: 'apiserver-down', node: 'cp-1' }, async () => {
        await redis.del(`${KEY_PREFIX}:kube:nodes`);
        const from = h.logLines.length;
        const { report } = await h.check('node-3');
        const text = messageText(report);
        assert.deepEqual(probedIn(h.logLines.slice(from), 'node-3'), ['cp-1', 'node-1', 'node-2', 'node-3']);
        assert.match(text, /`apiserver-down`/, text);
        assert.match(text, /no earlier node list is known/, text);
      });
    } finally {
      redis.disconnect();
    }
  });
});
