import { fileURLToPath } from 'node:url';
import { describeVerdictScenarios } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/stranger2/', import.meta.url));

const FOUND_DEFECTS = [
  // A gateAlarms prefix that matches no alarm refused the push as `ignored`, which the default
  // notifications do not send: the README's "the log and Slack name it" did not hold.
  's37-gate-prefix-matches-nothing.yml',
  // A healthy image rolled back at a stepDeadline shorter than ELB's first health checks had its
  // digest marked bad, though its task ran and no check had failed.
  's30-stepdeadline-shorter-than-alb-check.yml',
  // ...while an image the load balancer calls unhealthy is still blamed at the same deadline.
  's39-elb-unhealthy-long-grace-short-deadline.yml',
  // Weighted traffic with a gate on the primary's target group alone: blind to the canary, caught
  // only after promotion, with no word; now told at the first look (and by validate --live).
  's23-weighted-3-tasks-5xx-gate-on-primary-tg.yml',
  // The gate that sees the canary (the load balancer's whole 5xx count, which the local ALB did not
  // publish): rolled back in the 10% step.
  's44-weighted-3-tasks-5xx-gate-on-load-balancer.yml',
  // A gate's flap during the bake whose ALARM event came after its OK's: dropped as stale, so the
  // verdict hung on delivery order (in order, s08's flap rolls back).
  's41-flap-alarm-event-delayed.yml',
  // ...and the same flap told in order, rolled back as before.
  's45-flap-alarm-events-in-order.yml',
];

describeVerdictScenarios('held-out stranger2 scenarios', DIR, FOUND_DEFECTS);
