import { Controller, Type } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext } from '@nestjs/microservices';
import { KafkaCommandConsumer } from './kafka-command.consumer';

/**
 * The controller for a commands topic whose name comes from configuration: a pattern is fixed
 * when its decorator runs, so the class is made once the topic is known.
 */
export const kafkaCommandsController = (commandsTopic: string): Type => {
  @Controller()
  class KafkaCommandsController {
    constructor(private readonly consumer: KafkaCommandConsumer) {}

    @EventPattern(commandsTopic)
    handle(@Ctx() context: KafkaContext): Promise<void> {
      // keepBinary (see kafkaCommandsTransport): the value arrives as the bytes that were sent.
      const message = context.getMessage();
      return this.consumer.handle({ value: message.value, topic: context.getTopic(), partition: context.getPartition(), offset: message.offset });
    }
  }
  return KafkaCommandsController;
};
