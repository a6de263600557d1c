import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QuotaCounterEntity } from './quota-counter.entity';
import { QuotaRepository } from './quota.repository';
import { QuotaService } from './quota.service';

@Module({
  imports: [TypeOrmModule.forFeature([QuotaCounterEntity])],
  providers: [QuotaService, QuotaRepository],
  exports: [QuotaService],
})
export class QuotaModule {}
