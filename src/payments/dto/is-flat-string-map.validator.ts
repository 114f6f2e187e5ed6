import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Validates an object of at most `maxEntries` string values, with no nesting. */
export function IsFlatStringMap(limits: { maxEntries: number; maxKeyLength: number; maxValueLength: number }, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isFlatStringMap',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of at most ${limits.maxEntries} string values (keys up to ${limits.maxKeyLength} characters, values up to ${limits.maxValueLength})`,
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) {
            return false;
          }
          const entries = Object.entries(value);
          return (
            entries.length <= limits.maxEntries &&
            entries.every(
              ([key, entry]) =>
                key.length > 0 &&
                key.length <= limits.maxKeyLength &&
                typeof entry === 'string' &&
                entry.length <= limits.maxValueLength,
            )
          );
        },
      },
    });
}
