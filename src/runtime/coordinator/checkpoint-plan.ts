import { subtaskKey, type ExecutionPlan, type SubtaskId } from '../../graph/execution-plan.js';

/**
 * Which subtasks a checkpoint is triggered at, as Flink's checkpoint plan: the sources, whose
 * barriers reach every other task, and the tasks whose input ended, which no barrier reaches any
 * more. Every subtask acks. Tracks the finished tasks of the current attempt.
 */
export class CheckpointPlan {
  /** Every subtask of the job, vertex by vertex. */
  readonly subtasks: readonly SubtaskId[];
  private readonly sourceVertices: ReadonlySet<number>;
  private finished = new Set<string>();

  constructor(plan: ExecutionPlan) {
    this.sourceVertices = new Set(plan.vertices.filter((v) => v.isSource).map((v) => v.id));
    this.subtasks = plan.vertices.flatMap((v) => Array.from({ length: v.parallelism }, (_, subtaskIndex) => ({ vertexId: v.id, subtaskIndex })));
  }

  /** A new attempt: every task runs again. */
  newAttempt(): void {
    this.finished = new Set();
  }

  /** The subtask's input ended; returns whether every subtask's did. */
  markFinished(subtask: SubtaskId): boolean {
    this.finished.add(subtaskKey(subtask));
    return this.finished.size === this.subtasks.length;
  }

  /** The subtasks a trigger goes to, in plan order. */
  tasksToTrigger(): SubtaskId[] {
    return this.subtasks.filter((s) => this.sourceVertices.has(s.vertexId) || this.finished.has(subtaskKey(s)));
  }
}
