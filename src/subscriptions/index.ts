export type { PublicSubscription, Subscription, SubscriptionInput, SubscriptionPatch } from './model.js';
export { SUBSCRIPTION_DEFAULTS, consumerNameOf, withoutSecret } from './model.js';
export { SubscriptionFileError, SubscriptionInputError, TargetRefusedError } from './errors.js';
export { formatTimeout, parseSubscriptionInput, parseSubscriptionPatch, subscriptionNameProblem } from './validate.js';
export { loadSubscriptionFile, parseSubscriptionFile } from './parse-subscription-file.js';
export { newSecret, secretKey, secretProblem } from './secret.js';
export { jsonContains } from './json-contains.js';
export { checkTarget, checkTargetLiteral, guardedLookup, isPrivateAddress } from './target-address.js';
