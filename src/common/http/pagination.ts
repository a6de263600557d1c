export interface Pagination {
  page: number;
  size: number;
  total: number;
  pages: number;
}

export function paginationOf(page: number, size: number, total: number): Pagination {
  return { page, size, total, pages: Math.ceil(total / size) };
}
