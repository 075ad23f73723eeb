import { z } from 'zod';
import { defineService } from '../service';
import { RunIdSchema } from '../schemas';

/**
 * What `lessons.report` computes, by `kind`, and which stored run plays each role. A figure of a
 * Learn lesson that needs several of its finished runs at once (one run's network reading
 * another's outputs), so the gallery cannot read it from one run (docs/lessons.md).
 * - `inpainting`: the in-painter's test digits, masked as it was trained (seeded), in-painted,
 *   and read by the judge classifier; per digit class.
 */
export const LessonReportRequest = z.discriminatedUnion('kind', [z.object({ kind: z.literal('inpainting'), runs: z.object({ judge: RunIdSchema, inpainter: RunIdSchema }) })]);
export type LessonReportRequest = z.infer<typeof LessonReportRequest>;
export type LessonReportKind = LessonReportRequest['kind'];

/** One row of a lesson report: what it is about (a digit class), how many samples, and its figures by column key (shares in [0, 1]). */
export const LessonReportRow = z.object({ label: z.string().max(100), count: z.number().int().nonnegative(), values: z.record(z.string().max(64), z.number()) });
export type LessonReportRow = z.infer<typeof LessonReportRow>;

/**
 * Learn lessons' figures that need several stored runs at once (docs/lessons.md).
 */
export const lessonsService = defineService({
  name: 'lessons',
  methods: {
    /**
     * A Learn lesson's figure computed from several stored runs (`LessonReportRequest`) at their
     * last checkpoints: one row per class, its shares by column, and how many test samples were
     * read (in-painting: the in-painter's test split, as that run trained). Coded errors:
     * `E_RUNS_UNAVAILABLE`, `RUN_NOT_FOUND`, `E_RUN_NO_CHECKPOINT`, `E_LESSON_REPORT_RUNS` (a run
     * that does not fit its role).
     */
    'lessons.report': {
      params: LessonReportRequest,
      result: z.object({ rows: z.array(LessonReportRow).max(1000), samples: z.number().int().nonnegative() }),
    },
  },
  events: {},
  limits: {},
});
