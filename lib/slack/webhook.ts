/**
 * Webhook URLs from SSM Parameter Store, each a SecureString read with decryption once per Lambda
 * container and kept (a read is an SSM call and a KMS decrypt; the URL seldom changes, and a
 * webhook Slack refuses for good is read again). The URL is a secret: it is registered with
 * redact() the moment it is read, so no log line can show it, and no error made here repeats it.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { PermanentError, TransientError } from '../errors.ts';
import { redact } from '../log.ts';

export { DEFAULT_WEBHOOK_PARAMETER } from '../env.ts';

/** A webhook parameter reading again will not help before a person acts: missing, not granted, no URL. */
export class WebhookUnusable extends PermanentError {
  override name = 'WebhookUnusable';
}

/** A webhook parameter that could not be read this time (SSM unreachable, throttled): read again later. */
export class WebhookUnreadable extends TransientError {
  override name = 'WebhookUnreadable';
}

/**
 * What a person has to do about each SSM error a retry does not cure (a missing parameter, a role
 * without the grant, a bad name): the text of its WebhookUnusable. Any other error is
 * WebhookUnreadable. AccessDeniedException and ValidationException are not among the SSM client's
 * modelled exceptions (they are common to every AWS API), so the error is known by its name.
 */
const UNUSABLE_BECAUSE: Record<string, string> = {
  ParameterNotFound:
    'does not exist: create it as a SecureString holding the webhook URL, or set notifications: false',
  ParameterVersionNotFound: 'does not exist in that version',
  AccessDeniedException:
    'cannot be read: the functions need ssm:GetParameter on it and kms:Decrypt on its key',
  InvalidKeyId: 'cannot be decrypted: its KMS key is disabled or gone',
  ValidationException: 'is not a valid parameter name',
};

/**
 * The error a failed GetParameter of a webhook parameter becomes, by the SSM error's name.
 *
 *   ('/p', 'ParameterNotFound')          -> WebhookUnusable   'SSM parameter /p does not exist: create it …'
 *   ('/p', 'ParameterVersionNotFound')   -> WebhookUnusable   'SSM parameter /p does not exist in that version'
 *   ('/p', 'AccessDeniedException')      -> WebhookUnusable   'SSM parameter /p cannot be read: the functions need …'
 *   ('/p', 'InvalidKeyId')               -> WebhookUnusable   'SSM parameter /p cannot be decrypted: …'
 *   ('/p', 'ValidationException')        -> WebhookUnusable   'SSM parameter /p is not a valid parameter name'
 *   ('/p', 'ThrottlingException')        -> WebhookUnreadable 'SSM parameter /p could not be read (ThrottlingException)'
 *   ('/p', 'TimeoutError')               -> WebhookUnreadable 'SSM parameter /p could not be read (TimeoutError)'
 */
export function webhookReadError(parameter: string, name: string): WebhookUnusable | WebhookUnreadable {
  const because = Object.hasOwn(UNUSABLE_BECAUSE, name) ? UNUSABLE_BECAUSE[name] : undefined;
  return because
    ? new WebhookUnusable(`SSM parameter ${parameter} ${because}`)
    : new WebhookUnreadable(`SSM parameter ${parameter} could not be read (${name})`);
}

export class WebhookUrls {
  /**
   * URLs read, not reads in flight: a Lambda container runs one invocation at a time, so sharing a
   * read saves nothing in AWS, and where one process stands for many containers (the local world,
   * whose invocations take turns at their AWS calls) an invocation waiting on another's read, which
   * needed its turn, held the run for good (stranger20 17: two pushes at the same instant).
   */
  private readonly cache = new Map<string, string>();

  constructor(private readonly ssm: SSMClient) {}

  /** The URL in `parameter`; throws WebhookUnusable or WebhookUnreadable. A failed read is not kept. */
  async url(parameter: string): Promise<string> {
    const cached = this.cache.get(parameter);
    if (cached !== undefined) return cached;
    const url = await this.read(parameter);
    this.cache.set(parameter, url);
    return url;
  }

  /** Forgets a URL Slack refused for good (a webhook rotated or removed): the next message reads it again. */
  forget(parameter: string): void {
    this.cache.delete(parameter);
  }

  private async read(parameter: string): Promise<string> {
    let value: string | undefined;
    try {
      const out = await this.ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
      value = out.Parameter?.Value;
    } catch (e) {
      throw webhookReadError(parameter, (e as Error).name);
    }
    redactUrl(value);
    if (!value || !/^https?:\/\/[^/]/i.test(value) || !URL.canParse(value)) {
      throw new WebhookUnusable(`SSM parameter ${parameter} does not hold an https URL`);
    }
    return value;
  }
}

/** The URL, and its path and last segment on their own: an error may show any of them. */
function redactUrl(value: string | undefined): void {
  if (!value) return;
  redact(value);
  if (!URL.canParse(value)) return;
  const path = new URL(value).pathname;
  redact(path);
  redact(path.slice(path.lastIndexOf('/') + 1));
}
