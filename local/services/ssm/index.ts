/**
 * SSM Parameter Store: the pipeline keeps its Slack webhook URL in a SecureString; other clients
 * (the AWS CLI, SDK v2) read and list parameters too. JSON 1.1, target `AmazonSSM`.
 *
 * Sources (SSM API Reference): PutParameter, GetParameter (a `name:version` selector names one
 * version; "ParameterVersionNotFound" when there is no such version), GetParameters (at most 10
 * names; the unknown ones come back in `InvalidParameters`), GetParametersByPath (a hierarchy:
 * without `Recursive` only the level right below the path; MaxResults 1–10), DeleteParameter,
 * DescribeParameters (metadata only, never values; MaxResults 1–50; `ParameterFilters` Name/Type
 * with Equals or BeginsWith), DeleteParameters (1–10 names; `DeletedParameters` and
 * `InvalidParameters`), GetParameterHistory (every version with its labels, MaxResults 1–50),
 * LabelParameterVersion (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_LabelParameterVersion.html:
 * at most 10 labels a version; a label is on one version of a parameter and moves when put on
 * another; at most 100 characters of letters, numbers, `.`, `-`, `_`, not beginning with a number,
 * `aws` or `ssm`; the others come back in `InvalidLabels`), and `name:label` selectors.
 */
import type { WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';

type ParameterType = 'String' | 'StringList' | 'SecureString';

interface Version {
  Name: string;
  Type: ParameterType;
  Value: string;
  Version: number;
  LastModifiedDate: Date;
  Labels: string[];
}

/** A version holds at most this many labels (LabelParameterVersion). */
const LABELS_PER_VERSION = 10;

/**
 * Whether a label meets LabelParameterVersion's rules.
 *
 *   prod       → true     1prod   → false (begins with a number)
 *   v1.2-rc_3  → true     AWSx    → false (begins with aws, any case)
 *   ssm-ok     → false    a b     → false (a space)
 */
export function validLabel(label: string): boolean {
  return (
    label.length >= 1 &&
    label.length <= 100 &&
    /^[A-Za-z0-9._-]+$/.test(label) &&
    !/^[0-9]/.test(label) &&
    !/^(aws|ssm)/i.test(label)
  );
}

const validation = (message: string) => new AwsError('ValidationException', message);
const notFound = (name: string) => new AwsError('ParameterNotFound', `Parameter ${name} not found.`);

/**
 * `"/app/url:3"` → { name: '/app/url', version: 3 }; `"/app/url"` → { name: '/app/url' }.
 * A selector that is not a number is a label (LabelParameterVersion).
 */
export function parseSelector(ref: string): { name: string; version?: number; label?: string } {
  const colon = ref.lastIndexOf(':');
  if (colon <= 0 || ref.startsWith('arn:')) return { name: ref };
  const selector = ref.slice(colon + 1);
  const name = ref.slice(0, colon);
  return /^\d+$/.test(selector) ? { name, version: Number(selector) } : { name, label: selector };
}

/**
 * Whether `name` is in the hierarchy below `path` (GetParametersByPath).
 *
 *   path   name      recursive → in
 *   /a     /a/b      false        yes
 *   /a     /a/b/c    false        no
 *   /a     /a/b/c    true         yes
 *   /a     /ab       either       no
 *   /      /a        false        yes
 */
export function underPath(path: string, name: string, recursive: boolean): boolean {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  if (!name.startsWith(prefix) || name.length === prefix.length) return false;
  return recursive || !name.slice(prefix.length).includes('/');
}

export class LocalSsm implements LocalService {
  readonly name = 'ssm';
  readonly target = 'AmazonSSM';
  readonly protocol = 'json1.1' as const;
  /** Every version of each parameter, oldest first. */
  private parameters = new Map<string, Version[]>();

  constructor(private readonly world: Pick<WorldContext, 'now' | 'arn'>) {}

  private arn(name: string): string {
    return this.world.arn('ssm', `parameter${name.startsWith('/') ? '' : '/'}${name}`);
  }

  /** The parameter as GetParameter answers it; SecureStrings without decryption give their ciphertext. */
  private shape(v: Version, decrypt: boolean, selector?: string) {
    const value =
      v.Type === 'SecureString' && !decrypt
        ? Buffer.from(`kms:${v.Name}:${v.Version}`).toString('base64')
        : v.Value;
    const { Labels: _labels, ...parameter } = v;
    return {
      ...parameter,
      Value: value,
      ...(selector ? { Selector: selector } : {}),
      ARN: this.arn(v.Name),
      DataType: 'text',
    };
  }

  private find(ref: string): { version: Version; selector?: string } {
    const { name, version, label } = parseSelector(ref);
    const versions = this.parameters.get(name);
    if (!versions) throw notFound(name);
    if (version === undefined && label === undefined) return { version: versions.at(-1)! };
    const found = versions.find((v) =>
      label === undefined ? v.Version === version : v.Labels.includes(label),
    );
    if (!found)
      throw new AwsError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${label ?? version} of ${name}.`,
      );
    return { version: found, selector: `:${label ?? version}` };
  }

  private page<T>(items: T[], input: { MaxResults?: number; NextToken?: string }, max: number, dflt: number) {
    const size = input.MaxResults ?? dflt;
    if (!Number.isInteger(size) || size < 1 || size > max)
      throw validation(
        `1 validation error detected: Value '${size}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    const from = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(from) || from < 0)
      throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
    const page = items.slice(from, from + size);
    const next = from + size < items.length ? Buffer.from(String(from + size)).toString('base64') : undefined;
    return { page, next };
  }

  private latest(): Version[] {
    return [...this.parameters.values()].map((v) => v.at(-1)!).sort((a, b) => a.Name.localeCompare(b.Name));
  }

  readonly operations = {
    PutParameter: (input: { Name: string; Value: string; Type?: ParameterType; Overwrite?: boolean }) => {
      if (!input.Name || typeof input.Value !== 'string') throw validation('Name and Value are required');
      const versions = this.parameters.get(input.Name) ?? [];
      const existing = versions.at(-1);
      if (existing && !input.Overwrite) {
        throw new AwsError(
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      }
      const version = (existing?.Version ?? 0) + 1;
      versions.push({
        Name: input.Name,
        Type: input.Type ?? existing?.Type ?? 'String',
        Value: input.Value,
        Version: version,
        LastModifiedDate: new Date(this.world.now()),
        Labels: [],
      });
      this.parameters.set(input.Name, versions);
      return { Version: version, Tier: 'Standard' };
    },

    GetParameter: (input: { Name: string; WithDecryption?: boolean }) => {
      const { version, selector } = this.find(input.Name);
      return { Parameter: this.shape(version, input.WithDecryption === true, selector) };
    },

    GetParameters: (input: { Names: string[]; WithDecryption?: boolean }) => {
      if (!Array.isArray(input.Names) || input.Names.length < 1 || input.Names.length > 10)
        throw validation('1 validation error detected: Member must have length between 1 and 10 (names)');
      const Parameters: unknown[] = [];
      const InvalidParameters: string[] = [];
      for (const ref of input.Names) {
        try {
          const { version, selector } = this.find(ref);
          Parameters.push(this.shape(version, input.WithDecryption === true, selector));
        } catch (e) {
          if (
            !(e instanceof AwsError) ||
            (e.code !== 'ParameterVersionNotFound' && e.code !== 'ParameterNotFound')
          )
            throw e;
          InvalidParameters.push(ref);
        }
      }
      return { Parameters, InvalidParameters };
    },

    GetParametersByPath: (input: {
      Path: string;
      Recursive?: boolean;
      WithDecryption?: boolean;
      MaxResults?: number;
      NextToken?: string;
    }) => {
      if (typeof input.Path !== 'string' || !input.Path.startsWith('/'))
        throw validation('The parameter path must begin with a forward slash "/".');
      const matching = this.latest().filter((v) => underPath(input.Path, v.Name, input.Recursive === true));
      const { page, next } = this.page(matching, input, 10, 10);
      return {
        Parameters: page.map((v) => this.shape(v, input.WithDecryption === true)),
        ...(next ? { NextToken: next } : {}),
      };
    },

    DeleteParameter: (input: { Name: string }) => {
      if (!this.parameters.delete(input.Name)) throw notFound(input.Name);
      return {};
    },

    DeleteParameters: (input: { Names: string[] }) => {
      if (!Array.isArray(input.Names) || input.Names.length < 1 || input.Names.length > 10)
        throw validation('1 validation error detected: Member must have length between 1 and 10 (names)');
      const DeletedParameters = input.Names.filter((n) => this.parameters.delete(n));
      const InvalidParameters = input.Names.filter((n) => !DeletedParameters.includes(n));
      return { DeletedParameters, InvalidParameters };
    },

    GetParameterHistory: (input: {
      Name: string;
      WithDecryption?: boolean;
      MaxResults?: number;
      NextToken?: string;
    }) => {
      const versions = this.parameters.get(input.Name);
      if (!versions) throw notFound(input.Name);
      const { page, next } = this.page(versions, input, 50, 50);
      return {
        Parameters: page.map((v) => {
          const { ARN: _arn, DataType, ...shown } = this.shape(v, input.WithDecryption === true);
          return { ...shown, Labels: [...v.Labels], Tier: 'Standard', Policies: [], DataType };
        }),
        ...(next ? { NextToken: next } : {}),
      };
    },

    LabelParameterVersion: (input: { Name: string; ParameterVersion?: number; Labels: string[] }) => {
      if (!Array.isArray(input.Labels) || input.Labels.length < 1 || input.Labels.length > 10)
        throw validation('1 validation error detected: Member must have length between 1 and 10 (labels)');
      const versions = this.parameters.get(input.Name);
      if (!versions) throw notFound(input.Name);
      const target =
        input.ParameterVersion === undefined
          ? versions.at(-1)!
          : versions.find((v) => v.Version === input.ParameterVersion);
      if (!target)
        throw new AwsError(
          'ParameterVersionNotFound',
          `Systems Manager could not find version ${input.ParameterVersion} of ${input.Name}.`,
        );
      const InvalidLabels = input.Labels.filter((l) => !validLabel(l));
      const valid = [...new Set(input.Labels.filter(validLabel))];
      const added = valid.filter((l) => !target.Labels.includes(l));
      if (target.Labels.length + added.length > LABELS_PER_VERSION)
        throw new AwsError(
          'ParameterVersionLabelLimitExceeded',
          `A parameter version can have maximum ${LABELS_PER_VERSION} labels.`,
        );
      // A label names one version of a parameter: putting it here takes it off any other.
      for (const v of versions) if (v !== target) v.Labels = v.Labels.filter((l) => !added.includes(l));
      target.Labels.push(...added);
      return { InvalidLabels, ParameterVersion: target.Version };
    },

    DescribeParameters: (input: {
      ParameterFilters?: { Key: string; Option?: string; Values?: string[] }[];
      MaxResults?: number;
      NextToken?: string;
    }) => {
      let list = this.latest();
      for (const f of input.ParameterFilters ?? []) {
        const option = f.Option ?? 'Equals';
        const values = f.Values ?? [];
        const field = f.Key === 'Name' ? 'Name' : f.Key === 'Type' ? 'Type' : undefined;
        if (!field) throw validation(`The local SSM filters parameters by Name and Type only, not ${f.Key}.`);
        if (option !== 'Equals' && option !== 'BeginsWith')
          throw validation(`The local SSM filters with Equals and BeginsWith only, not ${option}.`);
        list = list.filter((v) =>
          values.some((x) => (option === 'Equals' ? v[field] === x : v[field].startsWith(x))),
        );
      }
      const { page, next } = this.page(list, input, 50, 10);
      return {
        Parameters: page.map((v) => ({
          Name: v.Name,
          ARN: this.arn(v.Name),
          Type: v.Type,
          LastModifiedDate: v.LastModifiedDate,
          LastModifiedUser: this.world.arn('iam', 'root').replace(/:[a-z0-9-]+:(\d{12}):/, '::$1:'),
          Version: v.Version,
          Tier: 'Standard',
          Policies: [],
          DataType: 'text',
        })),
        ...(next ? { NextToken: next } : {}),
      };
    },
  };
}
