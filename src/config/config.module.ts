import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config';
import { validateEnv } from './env';

@Global()
@Module({
  imports: [
    NestConfigModule.forRoot({
      // Tests configure through process.env only, never through a developer's .env file.
      ignoreEnvFile: process.env.NODE_ENV === 'test',
      cache: true,
      validate: validateEnv,
    }),
  ],
  providers: [AppConfig],
  exports: [AppConfig],
})
export class ConfigModule {}
