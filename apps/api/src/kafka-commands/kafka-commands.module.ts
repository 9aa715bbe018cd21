import { DynamicModule, Module } from '@nestjs/common';
import { KeyholdConfig } from '@keyhold/platform';
import { CommandsModule } from '../commands.module';
import { KafkaCommandConsumer } from './kafka-command.consumer';
import { KAFKA_COMMAND_TOPICS, kafkaCommandTopics } from './kafka-command-topics';
import { kafkaCommandsController } from './kafka-commands.controller';

/**
 * Commands from internal services over Kafka (MESSAGE_BUS=kafka, API role). The command handlers
 * it runs are those the API module registers; this module only adds the Kafka edge.
 */
@Module({})
export class KafkaCommandsModule {
  static forConfig(config: KeyholdConfig): DynamicModule {
    const topics = kafkaCommandTopics(config.KAFKA_COMMAND_TOPIC_PREFIX);
    return {
      module: KafkaCommandsModule,
      imports: [CommandsModule],
      controllers: [kafkaCommandsController(topics.commands)],
      providers: [{ provide: KAFKA_COMMAND_TOPICS, useValue: topics }, KafkaCommandConsumer],
    };
  }
}
