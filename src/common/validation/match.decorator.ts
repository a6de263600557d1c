import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** The property must equal another property of the same object (password confirmation). */
export function Match(property: string, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'match',
      target: target.constructor,
      propertyName,
      constraints: [property],
      options: { message: `${propertyName} must match ${property}`, ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const [other] = args.constraints as [string];
          return value === (args.object as Record<string, unknown>)[other];
        },
      },
    });
}
