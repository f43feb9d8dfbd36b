export { WeirError, InvalidArgumentError, CorruptDataError, hasErrorCode } from './weir-error.js';
export type { ErrorDomain, WeirErrorCode, WeirErrorOptions } from './weir-error.js';
export {
  describeValue,
  requireString,
  requireFunction,
  requireInteger,
  requirePositiveInteger,
  requireNumber,
  requireOneOf,
  requireOptions,
} from './argument-checks.js';
