/**
 * The Lua scripts behind src/store/plan-store.ts. Each makes one move of the state machine in
 * remediation/plan-state.ts (or one fencing check) atomically, and replies with a typed result code
 * as an array: {code} or {code, detail}.
 *
 * Fencing: the move to running issues a token (INCR on one counter, so tokens only grow) and
 * writes it into the run, into its heartbeat and into the node lock's value (`<planId>#<token>`).
 * Every later write about the run presents the token; the checks below compare it.
 */

// One atomic decision: only a proposed, unexpired plan with the same hash can be decided, once.
// A plan that needs two approvers (ARGV[6]) records the first and is approved by a second, different one.
// approvedAtMs starts the window within which a worker must start the run (START below).
export const DECIDE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'proposed' then return {'already-decided', state} end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'expired')
  return {'expired'}
end
if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[1] then return {'hash-mismatch'} end
if ARGV[4] == 'approved' and tonumber(ARGV[6]) > 1 then
  local first = redis.call('HGET', KEYS[1], 'firstApprover')
  if not first then
    redis.call('HSET', KEYS[1], 'firstApprover', ARGV[2], 'firstApprovedAt', ARGV[5])
    return {'first-approval'}
  end
  if first == ARGV[2] then return {'same-approver'} end
  redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedBy', first .. ',' .. ARGV[2], 'decidedAt', ARGV[5], 'approvedAtMs', ARGV[3])
  return {'approved'}
end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'decidedBy', ARGV[2], 'decidedAt', ARGV[5])
if ARGV[4] == 'approved' then redis.call('HSET', KEYS[1], 'approvedAtMs', ARGV[3]) end
return {ARGV[4]}`;

// approved → running, once: the executor's own gate, whatever called it.
// KEYS: plan, running set, heartbeat, node lock, token counter.
// ARGV: hash, planId, nowMs, start window ms (0: none), heartbeat ttl ms, lock ttl ms (0: no lock).
// Everything a running run needs is written here, together: a run is never running without a
// heartbeat (the sweep would take it for dead) or without its node.
export const START = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not-approved'} end
if state ~= 'approved' then return {'not-approved', state} end
if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[1] then return {'hash-mismatch'} end
local window = tonumber(ARGV[4])
if window > 0 then
  -- An approval is for the facts of its diagnosis; a run starting long after acts on stale ones.
  local approvedAt = tonumber(redis.call('HGET', KEYS[1], 'approvedAtMs') or '')
  if not approvedAt or tonumber(ARGV[3]) - approvedAt > window then
    redis.call('HSET', KEYS[1], 'state', 'expired')
    return {'approval-expired', approvedAt and tostring(approvedAt) or ''}
  end
end
local lockTtl = tonumber(ARGV[6])
if lockTtl > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return {'locked'} end
local token = tostring(redis.call('INCR', KEYS[5]))
if lockTtl > 0 then redis.call('SET', KEYS[4], ARGV[2] .. '#' .. token, 'PX', lockTtl) end
redis.call('HSET', KEYS[1], 'state', 'running', 'token', token, 'startedAtMs', ARGV[3])
redis.call('SET', KEYS[3], token, 'PX', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[2])
return {'running', token}`;

// The fencing check, at every step boundary and on every heartbeat: the run is still running, its
// token is ours and so is the node lock; then both are renewed. With ARGV[5], step ARGV[5] is
// checkpointed as started in the same step, so a step never starts on a run that is not ours.
// KEYS: plan, heartbeat, node lock. ARGV: token, lock owner, heartbeat ttl, lock ttl, [step n].
export const RENEW = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return {'state', state or ''} end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {'token'} end
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return {'lock'} end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
if ARGV[5] then redis.call('HSET', KEYS[1], 'step:' .. ARGV[5], 'started') end
return {'ok'}`;

// A step's outcome, from the token holder only. Not conditional on the state: a step that finished
// after its run was marked interrupted did finish, and the record says so.
// KEYS: plan. ARGV: token, n, status.
export const MARK = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'step:' .. ARGV[2], ARGV[3])
return 1`;

// running → done | failed | stopped | interrupted, by the token holder, only while still running:
// an end never overwrites an interrupted (or any other) end. The node lock is released if it is
// still this run's, whatever the state.
// KEYS: plan, running set, heartbeat, node lock. ARGV: token, lock owner, end state, planId.
export const FINISH = `
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return {'token'} end
if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return {'state', state or ''} end
redis.call('HSET', KEYS[1], 'state', ARGV[3])
redis.call('SREM', KEYS[2], ARGV[4])
redis.call('DEL', KEYS[3])
return {'ok'}`;

// running → interrupted, once, and only when no executor has shown a heartbeat lately; the run's
// node lock goes in the same step (the lock of a run started by an older version carries the bare
// plan id). If its executor was only slow, its next fencing check fails and it stops.
// KEYS: plan, running set, heartbeat, node lock. ARGV: planId.
export const INTERRUPT = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 'no' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'alive' end
redis.call('HSET', KEYS[1], 'state', 'interrupted')
redis.call('SREM', KEYS[2], ARGV[1])
local holder = redis.call('GET', KEYS[4])
local token = redis.call('HGET', KEYS[1], 'token')
if holder and (holder == ARGV[1] or (token and holder == ARGV[1] .. '#' .. token)) then
  redis.call('DEL', KEYS[4])
end
return 'ok'`;

export const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
