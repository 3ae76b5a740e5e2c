"""``logicdistill demo``: the pipeline over two shipped tasks at sizes that fit 20-25 minutes on 2
CPU cores (measured there; the student's pursuit games dominate), with the offline defaults: the
bundled bases, the tasks' offline demonstrators, the reference emergency functions. Pursuit is
evaluated on its held-out maps, 21 Points on every decision state (its policy figures) besides the
hands played."""

from __future__ import annotations

from logicdistill.pipeline.steps import PipelineConfig, TaskEntry

LEARNING_RATE = 3e-3  # the small budgets learn more at a higher rate than the recipes'

DEMO_TASKS = (
    TaskEntry(
        "pursuit",
        settings=("max_steps=60",),  # the teacher needs up to ~50 steps on these maps
        data_episodes=10,  # one teacher game per bundled map (~10 s each)
        examples=160,  # ~3-5 s per 8 examples
        learning_rate=LEARNING_RATE,
        eval_episodes=2,  # games per agent on the held-out maps (student: ~5 decisions/s)
        agents=("teacher", "ld", "kd", "greedy", "random"),
        emergencies=(),
        replay=True,
    ),
    TaskEntry(
        "twentyone",
        label="21 Points",
        data_episodes=1500,  # teacher hands (~20 s)
        examples=128,
        learning_rate=LEARNING_RATE,
        eval_episodes=200,  # hands played per agent; the regret is exact anyway
        agents=("teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random"),
        emergencies=("surrender",),  # three exact evaluations of the LD student and three of the teacher
        replay=False,
    ),
)

# far below the benchmarks: the demo shows the method working end to end; its figures are not measurements
DEMO = PipelineConfig(
    tasks=DEMO_TASKS,
    val_examples=64,  # validation decisions scored after training (~5 per second)
    accuracy_examples=64,  # held-out decisions scored for selection accuracy
    title="Logic Distillation demo",
    about="Demo sizes (below) are chosen for a 2-core CPU and are far smaller than the benchmarks in the "
    "README's results, so these numbers show the method running, not its measured performance.",
)
