import { z } from 'zod';

/** The row of the BACKLOG query, checked as every row read from PostgreSQL is. */
export const backlogRowSchema = z.object({ rows: z.number(), oldest_age_ms: z.number().nullable() });
