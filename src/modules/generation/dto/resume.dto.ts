import { QueryInt } from '../../../common/validation/query';

export class ResumeQueryDto {
  /** The last event number the client has (like Last-Event-ID). */
  @QueryInt(0, 1_000_000_000)
  after?: number;
}
