import type { NewEvent } from '@app/events';

import type { ProgressPlan, ProgressValues } from './progress-merge.rule';
import { slotKey } from './progress-merge.rule';

/** Whom a registration belongs to: what its events name and who may see them. */
export interface RegistrationRef {
  courseId: string;
  learnerId: string;
  contextId: string | null;
}

interface ProgressSummary {
  completion: unknown;
  success: unknown;
  score: unknown;
  total_seconds: unknown;
  completed_at: unknown;
}

const summary = (values: ProgressValues): ProgressSummary => ({
  completed_at: values[6],
  completion: values[0],
  score: values[2],
  success: values[1],
  total_seconds: values[3],
});

const CHANGES: (keyof ProgressSummary)[] = ['completion', 'success', 'score', 'total_seconds'];

/**
 * What a committed batch announces, per (registration, instance) row it wrote: `registration.progress_changed` when
 * completion, success, score or time differ from what the row held before the batch, and `registration.completed`
 * when it became COMPLETED. A postback repeating what is stored announces nothing.
 */
export function progressEvents(
  plan: ProgressPlan,
  written: ReadonlySet<string>,
  refs: ReadonlyMap<string, RegistrationRef>,
  occurredAt: Date,
): NewEvent[] {
  const events: NewEvent[] = [];
  for (const write of plan.writes) {
    const key = slotKey(write.registrationId, write.instance);
    const ref = refs.get(write.registrationId);
    if (!written.has(key) || !ref) continue;
    const before = plan.previous.get(key);
    const previous = before ? summary(before.values) : null;
    const current = summary(write.values);
    if (previous && CHANGES.every((field) => previous[field] === current[field])) continue;
    const subject = {
      contextId: ref.contextId,
      courseId: ref.courseId,
      learnerId: ref.learnerId,
      registrationId: write.registrationId,
    };
    const ids = {
      context_id: ref.contextId,
      course_id: ref.courseId,
      instance: write.instance,
      learner_id: ref.learnerId,
      registration_id: write.registrationId,
    };
    events.push({
      ...subject,
      data: { ...ids, current, previous, source: write.source, updated: write.updated },
      occurredAt,
      type: 'registration.progress_changed',
    });
    if (current.completion === 'COMPLETED' && previous?.completion !== 'COMPLETED') {
      const { completed_at, score, success, total_seconds } = current;
      events.push({
        ...subject,
        data: { ...ids, completed_at, score, success, total_seconds },
        occurredAt,
        type: 'registration.completed',
      });
    }
  }
  return events;
}
