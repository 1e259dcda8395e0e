/**
 * The IAM statements of the Slack interaction function's own role (serverless.yml
 * `SlackInteractRole`), beside the pipeline's statements (lib/deploy-config.ts), which it also has
 * because a click acts through the pipeline (ECS, CloudWatch, the service records):
 *
 *   ssm:GetParameter   the signing secret's parameter only (and the bot token's, when configured)
 *   kms:Decrypt        only through SSM, only for those parameters (SecureStrings)
 *   dynamodb:PutItem, GetItem   only `slack-request#…` keys (lib/chatops/replay.ts) of the table
 *   logs               its own log group (a role of its own gets no logging from the framework)
 *
 *   chatopsStatements({ service: 'ecs-autopilot', stage: 'prod', signingSecretParameter: '/ecs-autopilot/slack-signing-secret' })
 *   -> ssm:GetParameter on arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ecs-autopilot/slack-signing-secret, …
 */
import { type Cfn, type IamStatement, itemsUnder, secureStrings } from '../deploy-config.ts';

export interface ChatopsDeploySettings {
  service: string;
  stage: string;
  signingSecretParameter: string;
  /** Empty or absent: no bot token (user-group approvers cannot be checked). */
  botTokenParameter?: string;
}

const arn = (service: string, resource: string): Cfn => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
});

/** `/ecs-autopilot/x` -> the parameter's ARN (a name with a leading slash has none after `parameter`). */
const parameterArn = (name: string) => arn('ssm', `parameter/${name.replace(/^\//, '')}`);

export function chatopsStatements(settings: ChatopsDeploySettings): IamStatement[] {
  const names = [settings.signingSecretParameter, settings.botTokenParameter].filter(
    (n): n is string => typeof n === 'string' && n !== '',
  );
  for (const name of names) {
    if (!/^[A-Za-z0-9_.\-/]{1,2048}$/.test(name)) {
      throw new Error(`"${name}" is not an SSM parameter name`);
    }
  }
  const parameters = names.map(parameterArn);
  return [
    ...secureStrings('SlackSecrets', parameters),
    // A Slack request is acted on once: its key, written with a condition (lib/chatops/replay.ts).
    itemsUnder('SlackRequestKeys', 'slack-request#'),
    {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [arn('logs', `log-group:/aws/lambda/${settings.service}-${settings.stage}-slackInteract:*`)],
    },
  ];
}
