import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config';

@Global()
@Module({
  imports: [
    // Loads `.env` into process.env for development; tests configure through process.env only.
    NestConfigModule.forRoot({ ignoreEnvFile: process.env.NODE_ENV === 'test' }),
  ],
  providers: [{ provide: AppConfig, useFactory: () => AppConfig.fromProcessEnv() }],
  exports: [AppConfig],
})
export class ConfigModule {}
