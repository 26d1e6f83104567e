/**
 * Type-level NATS wildcard matching, so `subscribe('job.*', handler)` gives the handler the
 * union of the data types of exactly the declared event types the pattern matches.
 */

/** The event types an event map declares. */
export type EventType<Events> = keyof Events & string;

/** `'job.created'` → `['job', 'created']`. */
type Tokens<S extends string> = S extends `${infer Head}.${infer Rest}` ? [Head, ...Tokens<Rest>] : [S];

type TokensMatch<T extends readonly string[], P extends readonly string[]> = P extends ['>']
  ? T extends [] ? false : true
  : P extends [infer PHead extends string, ...infer PRest extends string[]]
    ? T extends [infer THead extends string, ...infer TRest extends string[]]
      ? PHead extends '*' ? TokensMatch<TRest, PRest> : PHead extends THead ? TokensMatch<TRest, PRest> : false
      : false
    : T extends [] ? true : false;

/**
 * The declared event types that `Pattern` matches. A pattern only known as `string`, or a
 * map without literal keys, gives every type.
 */
export type TypesMatching<Events, Pattern extends string> = string extends EventType<Events>
  ? EventType<Events>
  : string extends Pattern
    ? EventType<Events>
    : { [K in EventType<Events>]: TokensMatch<Tokens<K>, Tokens<Pattern>> extends true ? K : never }[EventType<Events>];

/** `unknown` when the pattern matches a declared type, `never` (a compile error at the call) when it matches none. */
export type PatternCheck<Events, Pattern extends string> = [TypesMatching<Events, Pattern>] extends [never] ? never : unknown;
