import { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ListQuery, Page, ReadModelCollection, ReadModelDocument } from '@keyhold/read-models';

export const DEFAULT_PAGE_SIZE = 50;

/** `?limit=&cursor=` on every list: keyset pages, 50 items unless asked, 200 at most. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: "The previous page's nextCursor." })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/** One page of a collection, oldest first unless told otherwise (order, ranges, any-of filters), each item shaped for the response. */
export const pageOf = async <T extends ReadModelDocument, R>(
  collection: ReadModelCollection<T>,
  where: ListQuery<T>['where'],
  query: PageQuery,
  toResponse: (item: T) => R,
  order: Pick<ListQuery<T>, 'orderBy' | 'direction' | 'range' | 'anyOf'> = { orderBy: 'createdAt', direction: 'asc' },
): Promise<Page<R>> => {
  const page = await collection.list({ where, ...order, limit: query.limit ?? DEFAULT_PAGE_SIZE, cursor: query.cursor ?? null });
  return { items: page.items.map(toResponse), nextCursor: page.nextCursor };
};

/** The API document's schema of a page of `item`s: `class TokenPage extends PageOf(TokenResponse) {}`. */
export const PageOf = <T>(item: Class<T>) => {
  class PageOfItems {
    @ApiProperty({ type: [item] })
    items!: T[];
    @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last.' })
    nextCursor!: string | null;
  }
  return PageOfItems;
};
