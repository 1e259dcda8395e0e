/**
 * CloudWatch's modeled errors. The JSON protocol is query-compatible: the SDK reads the error code from
 * `x-amzn-query-error: <Code>;Sender` first and maps it to the exception class whose `awsQueryError`
 * trait carries that code (ProtocolLib.findQueryCompatibleError in @aws-sdk/core; the codes and HTTP
 * statuses are the `awsQueryError` traits in @aws-sdk/client-cloudwatch dist-es/schemas/schemas_0.js).
 * So each error has its shape name (`__type`) and its query code, which differ.
 */
import { AwsError } from '../../core/errors.ts';

const cw = (shape: string, queryCode: string, status: number) => (message: string) =>
  new AwsError(shape, message, status, status >= 500 ? 'Receiver' : 'Sender', queryCode);

/** The value of an input parameter is bad or out-of-range. -> InvalidParameterValueException */
export const invalidParameterValue = cw('InvalidParameterValueException', 'InvalidParameterValue', 400);
/** Parameters were used together that cannot be used together. -> InvalidParameterCombinationException */
export const invalidParameterCombination = cw(
  'InvalidParameterCombinationException',
  'InvalidParameterCombination',
  400,
);
/** An input parameter that is required is missing. -> MissingRequiredParameterException */
export const missingParameter = cw('MissingRequiredParameterException', 'MissingParameter', 400);
/** The named resource does not exist. -> ResourceNotFound */
export const resourceNotFound = cw('ResourceNotFound', 'ResourceNotFound', 404);
/** The next token specified is invalid. -> InvalidNextToken */
export const invalidNextToken = cw('InvalidNextToken', 'InvalidNextToken', 400);
/** The quota for alarms for this customer has already been reached. -> LimitExceededFault */
export const limitExceededFault = cw('LimitExceededFault', 'LimitExceeded', 400);
/** Data was not syntactically valid JSON. -> InvalidFormatFault */
export const invalidFormat = cw('InvalidFormatFault', 'InvalidFormat', 400);
/** Model validation (`ValidationError` on the query protocol). -> ValidationException */
export const validationError = cw('ValidationException', 'ValidationError', 400);
/** The resource (by ARN) does not exist, for the tagging operations. -> ResourceNotFoundException */
export const resourceNotFoundException = cw('ResourceNotFoundException', 'ResourceNotFoundException', 404);
