"""``logicdistill demo``: the pipeline over two shipped tasks with the offline defaults (the
bundled bases, the tasks' offline demonstrators, the reference emergency functions), and the
claims the run checks against its own figures. Pursuit runs at the smallest budget measured to win
at least 90% of the held-out games; 21 Points at a budget that does not yet meet its claims (1,024
draws: ld regret 0.042, kd 0.001; the recipe's 2,560 brings ld to 0.0005). About 38 minutes on 2
AVX512-BF16 cores. Pursuit is evaluated on its held-out maps, 21 Points on every decision state
(its policy figures) besides the hands played."""

from __future__ import annotations

from logicdistill.pipeline.claims import Claim
from logicdistill.pipeline.steps import PipelineConfig, TaskEntry

DEMO_TASKS = (
    TaskEntry(
        "pursuit",
        demonstrator="when",  # its choices can be read from the text; the rollout teacher's cannot
        data_episodes=60,  # the recipe's When-teacher games (about 2 minutes)
        examples=1920,  # the recipe's 2,560 draws less its 640 drills: the same ordinary decisions
        learning_rate=5e-4,  # the recipe's; 1,280 draws at 1e-3 won 80% of held-out games, not 95%
        drills=0.0,  # no pursuit emergency is run here, and drills cost a quarter of the budget
        eval_episodes=10,  # games per agent on the held-out maps: one game is 10 points
        agents=("teacher", "ld", "kd", "greedy", "random"),
        emergencies=(),
        replay=True,
    ),
    TaskEntry(
        "twentyone",
        label="21 Points",
        data_episodes=1500,  # teacher hands (~20 s)
        examples=1024,  # 115 distinct asked decisions: each is drawn about nine times
        learning_rate=1e-3,  # the recipe's
        eval_episodes=200,  # hands played per agent; the regret is exact anyway
        agents=("teacher", "ld", "kd", "zero-shot-ld", "zero-shot", "random"),
        emergencies=("surrender",),  # three exact evaluations of the LD student and three of the teacher
        replay=False,
    ),
)

PURSUIT, HANDS = "tasks.pursuit.agents", "tasks.twentyone.agents"
DEMO_CLAIMS = (  # what the demo sets out to show a newcomer, checked against its own figures
    Claim(
        "pursuit, held-out maps: ld wins at least 90% as often as its teacher",
        f"{PURSUIT}.ld.success_rate",
        ">=",
        than=f"{PURSUIT}.teacher.success_rate",
        factor=0.9,
    ),
    Claim(
        "pursuit, held-out maps: ld wins at least 30 points more often than kd (same budget)",
        f"{PURSUIT}.ld.success_rate",
        ">=",
        offset=0.30,
        than=f"{PURSUIT}.kd.success_rate",
    ),
    Claim("21 Points: ld's regret per hand is at most 0.005", f"{HANDS}.ld.regret", "<=", offset=0.005),
    Claim("21 Points: ld's regret is below kd's (same budget)", f"{HANDS}.ld.regret", "<", than=f"{HANDS}.kd.regret"),
    Claim(
        "21 Points, surrender emergency: ld recovers at least 90% without retraining",
        "emergencies.twentyone.surrender.recovery",
        ">=",
        offset=0.90,
    ),
)

DEMO = PipelineConfig(
    tasks=DEMO_TASKS,
    val_examples=64,  # validation decisions scored after training (~5 per second)
    accuracy_examples=64,  # held-out decisions scored for selection accuracy
    title="Logic Distillation demo",
    claims=DEMO_CLAIMS,
    about="Sizes (below) are chosen for 2 CPU cores and are smaller than the benchmarks in the README's "
    "results; the claims above say what they show.",
)
