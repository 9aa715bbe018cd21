import { InjectionToken, Provider } from '@nestjs/common';

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
