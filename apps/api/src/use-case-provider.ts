import { Inject, InjectionToken, Provider, Type } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';

/**
 * A framework-free use case (libs/application) as a Nest provider: its constructor's ports,
 * named in order, come from the container. The use case stays a plain class that a test or a
 * script constructs itself.
 */
export const useCaseProvider = <Deps extends unknown[]>(useCase: new (...deps: Deps) => object, inject: { [I in keyof Deps]: InjectionToken }): Provider => ({
  provide: useCase,
  useFactory: (...deps: unknown[]) => new useCase(...(deps as Deps)),
  inject: inject as InjectionToken[],
});

/** A command of the typed dispatcher: it carries its use case's input as it is. */
export type UseCaseCommand<Input, Result> = Command<Result> & { readonly input: Input };

/**
 * The @nestjs/cqrs handler of `command`: one call of `useCase` with the command's input. Every
 * command the API dispatches is handled so; a handler holds nothing else.
 */
const useCaseHandler = <Input, Result>(
  command: Type<UseCaseCommand<Input, Result>>,
  useCase: Type<{ execute(input: Input): Promise<Result> }>,
): Type<ICommandHandler<UseCaseCommand<Input, Result>>> => {
  @CommandHandler(command)
  class UseCaseHandler implements ICommandHandler<UseCaseCommand<Input, Result>> {
    constructor(@Inject(useCase) private readonly run: { execute(input: Input): Promise<Result> }) {}

    execute({ input }: UseCaseCommand<Input, Result>): Promise<Result> {
      return this.run.execute(input);
    }
  }
  Object.defineProperty(UseCaseHandler, 'name', { value: `${command.name}Handler` });
  return UseCaseHandler;
};

/** A use case that a command dispatches: its provider and its handler, registered together. */
export const dispatchedUseCase = <Input, Result, Deps extends unknown[]>(
  command: Type<UseCaseCommand<Input, Result>>,
  useCase: new (...deps: Deps) => { execute(input: Input): Promise<Result> },
  inject: { [I in keyof Deps]: InjectionToken },
): Provider[] => [useCaseProvider(useCase, inject), useCaseHandler(command, useCase)];
