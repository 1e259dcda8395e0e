/**
 * Webhook URLs from SSM Parameter Store, each a SecureString read with decryption once per Lambda
 * container and kept (a read is an SSM call and a KMS decrypt; the URL seldom changes, and a
 * webhook Slack refuses for good is read again). The URL is a secret: it is registered with
 * redact() the moment it is read, so no log line can show it, and no error made here repeats it.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { PipelineError } from '../errors.ts';
import { redact } from '../log.ts';

export { DEFAULT_WEBHOOK_PARAMETER } from '../env.ts';

/** A parameter that cannot be read; `permanent` when reading again will not help before a person acts. */
export class WebhookError extends PipelineError {
  override name = 'WebhookError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** SSM errors a retry does not cure (a missing parameter, a role without the grant, a bad name). */
const PERMANENT_SSM_ERRORS: Record<string, string> = {
  ParameterNotFound:
    'does not exist: create it as a SecureString holding the webhook URL, or set notifications: false',
  ParameterVersionNotFound: 'does not exist in that version',
  AccessDeniedException:
    'cannot be read: the functions need ssm:GetParameter on it and kms:Decrypt on its key',
  InvalidKeyId: 'cannot be decrypted: its KMS key is disabled or gone',
  ValidationException: 'is not a valid parameter name',
};

export class WebhookUrls {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly ssm: SSMClient) {}

  /** The URL in `parameter`; throws WebhookError. */
  url(parameter: string): Promise<string> {
    const cached = this.cache.get(parameter);
    if (cached) return cached;
    const reading = this.read(parameter);
    this.cache.set(parameter, reading);
    // A failed read is not kept: the next message reads again.
    reading.catch(() => {
      if (this.cache.get(parameter) === reading) this.cache.delete(parameter);
    });
    return reading;
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
      const name = (e as Error).name;
      const permanent = PERMANENT_SSM_ERRORS[name];
      throw new WebhookError(
        `SSM parameter ${parameter} ${permanent ?? `could not be read (${name})`}`,
        Boolean(permanent),
      );
    }
    redactUrl(value);
    if (!value || !/^https?:\/\/[^/]/i.test(value) || !URL.canParse(value)) {
      throw new WebhookError(`SSM parameter ${parameter} does not hold an https URL`, true);
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
