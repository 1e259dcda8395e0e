/**
 * SSM Parameter Store, the part the pipeline uses: the Slack webhook URL lives in a SecureString.
 * JSON 1.1, target `AmazonSSM`.
 */
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';

interface Parameter {
  Name: string;
  Type: 'String' | 'StringList' | 'SecureString';
  Value: string;
  Version: number;
  LastModifiedDate: Date;
}

export class LocalSsm implements LocalService {
  readonly name = 'ssm';
  readonly target = 'AmazonSSM';
  readonly protocol = 'json1.1' as const;
  private parameters = new Map<string, Parameter>();

  constructor(private readonly now: () => number) {}

  readonly operations = {
    PutParameter: (input: { Name: string; Value: string; Type?: Parameter['Type']; Overwrite?: boolean }) => {
      if (!input.Name || typeof input.Value !== 'string') {
        throw new AwsError('ValidationException', 'Name and Value are required');
      }
      const existing = this.parameters.get(input.Name);
      if (existing && !input.Overwrite) {
        throw new AwsError(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }
      const version = (existing?.Version ?? 0) + 1;
      this.parameters.set(input.Name, {
        Name: input.Name,
        Type: input.Type ?? existing?.Type ?? 'String',
        Value: input.Value,
        Version: version,
        LastModifiedDate: new Date(this.now()),
      });
      return { Version: version, Tier: 'Standard' };
    },
    GetParameter: (input: { Name: string; WithDecryption?: boolean }) => {
      const p = this.parameters.get(input.Name);
      if (!p) throw new AwsError('ParameterNotFound', '');
      // Without decryption AWS returns the SecureString's ciphertext, never the value.
      const value =
        p.Type === 'SecureString' && !input.WithDecryption
          ? Buffer.from(`kms:${p.Name}`).toString('base64')
          : p.Value;
      return {
        Parameter: {
          ...p,
          Value: value,
          ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${p.Name.startsWith('/') ? '' : '/'}${p.Name}`,
          DataType: 'text',
        },
      };
    },
  };
}
