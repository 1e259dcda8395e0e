/**
 * The task event queue: EventBridge's `ecs-task` rule sends each ECS Task State Change to a standard
 * SQS queue, and the `ecsEvent` function reads it in batches (serverless.yml TaskEventQueue; locally
 * local/pipeline.ts). Why: a deployment starts or stops tens of tasks within a second, and each event
 * delivered on its own woke its own invocation, most of them in a cold execution environment that
 * knew nothing of the service (lib/observe.ts hints), so each read the record and looked at the
 * service. In one batch they cost one record read and one look per service (lib/pipeline.ts).
 *
 * Sources (AWS Lambda Developer Guide):
 * - "Lambda parameters for Amazon SQS event source mappings" (services-sqs-parameters.html):
 *   BatchSize "For standard queues, the maximum is 10,000"; MaximumBatchingWindowInSeconds default 0.
 * - API CreateEventSourceMapping, BatchSize: "When you set BatchSize to a value greater than 10, you
 *   must set MaximumBatchingWindowInSeconds to at least 1"; MaximumBatchingWindowInSeconds "any value
 *   from 0 seconds to 300 seconds in increments of seconds".
 * - "Using Lambda with Amazon SQS", batching: Lambda invokes the function when the batch is full,
 *   when the batching window expires, or when the payload reaches 6 MB (synchronous invocation's limit).
 * - "Creating and configuring an Amazon SQS event source mapping" (services-sqs-configure.html): "set
 *   the source queue's visibility timeout to at least six times the configuration timeout on your
 *   function. The extra time allows Lambda to retry if your function is throttled".
 */

/** The queue's name after the stack's (`<service>-<stage>`) or, locally, the table's prefix. */
export const TASK_QUEUE_SUFFIX = '-task-events';
export const taskQueueName = (prefix: string) => `${prefix}${TASK_QUEUE_SUFFIX}`;

/**
 * Events per invocation. A canary step or a promotion of a 20-task service starts or stops 20-40
 * tasks at once; 100 holds such a burst with room (an event is about 3 KB, so 100 are some 300 KB,
 * far below the 6 MB payload). Past 10, Lambda requires a batching window of at least 1 s.
 */
export const TASK_QUEUE_BATCH_SIZE = 100;

/**
 * How long Lambda gathers events before it invokes, from the first one visible: 1 s, the least
 * Lambda allows with a batch over 10, and the latency every task event now carries (at most 1 s,
 * less when 100 arrive sooner). ECS's events of one burst come within about a second of each other,
 * so one window takes most of a burst; against that, a task that fails is acted on up to a second
 * later than when each event woke its own invocation, which is small beside the 20-50 s ECS spends
 * stopping a failing task and the minutes of a step's bake.
 */
export const TASK_QUEUE_BATCHING_WINDOW_S = 1;

/** Six times the functions' 60 s timeout (serverless.yml `provider.timeout`), as Lambda advises. */
export const TASK_QUEUE_VISIBILITY_S = 360;
