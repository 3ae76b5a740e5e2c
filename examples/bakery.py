"""A complete logicdistill task in one file: a bakery orders fresh bread every morning.

Each morning the baker (1) forecasts today's customers from the last two weeks and (2) orders
0, 2, 4, 6, 8 or 10 loaves. Loaves keep one night: yesterday's are sold first and thrown away
tonight if unsold. An episode is `days` days; it succeeds with no day on which customers found
the shelf empty (a stockout) and at most `max_waste` loaves thrown away.

Run it without installing anything:   logicdistill tasks check examples/bakery.py:BakeryTask
docs/adding-a-task.md walks through every member below.

A package registers its task by entry point instead of a path, in its pyproject.toml:

    [project.entry-points."logicdistill.tasks"]
    bakery = "my_package.bakery:BakeryTask"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logicdistill.agent.demonstrators import ActionValueDemonstrator
from logicdistill.errors import FunctionError, UserInputError
from logicdistill.functions import FunctionBase, Provenance, Stage, Verification
from logicdistill.functions.source import functions_from_source
from logicdistill.functions.verification.samples import Sample, SampleSet
from logicdistill.tasks import SUCCESS_RATE, Emergency, Metric, Recipe, Task

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Mean customers per weekday, Monday first: the demand profile of each variant (environment).
PROFILES = {
    "weekday-shop": (6, 6, 6, 6, 6, 2, 2),  # an office district: quiet weekends
    "weekend-shop": (3, 3, 3, 3, 4, 7, 7),  # a seaside kiosk: busy weekends
    "steady-shop": (4, 4, 4, 4, 4, 4, 4),
}  # held out: never seen in training data
NOISE = {-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1}  # a day's customers = its mean + this noise
ORDER_SIZES = (0, 2, 4, 6, 8, 10)
HISTORY = 14  # days of customer counts a decision sees
STOCKOUT_COST, WASTE_COST = 20.0, 1.0  # what the teacher weighs: a stockout day against a wasted loaf
SUPPLIER_CAP = 6

# -- the bundled functions: source text with a STAGE line, each docstring a manual ("When:") ------
FORECAST_FUNCTIONS = '''
STAGE = "forecast"

def yesterday(state):
    """Expect as many customers as came yesterday.
    When: the default; demand is about the same every day of the week."""
    return state.demand[-1]

def week_average(state):
    """The average of the last seven days, rounded: steady, and blind to the weekday.
    When: demand is the same on every weekday but varies from day to day."""
    return round(sum(state.demand[-7:]) / 7)

def same_day_last_week(state):
    """As many customers as came on this weekday a week ago.
    When: demand depends on the weekday and today is unlike yesterday (Monday after a weekend)."""
    return state.demand[-7]

def weekday_average(state):
    """The average of this weekday over the last two weeks, rounded: steadier than one week.
    When: demand depends on the weekday and varies from week to week."""
    return round((state.demand[-7] + state.demand[-14]) / 2)
'''

ORDER_FUNCTIONS = '''
STAGE = "order"

def safety_stock(state, forecast):
    """Order for the forecast plus 2 spare loaves, rounded up to an order size.
    When: the default; demand varies from day to day, so the forecast may be short by one or two."""
    return state.round_order(forecast + 2 - state.stock)

def order_for_forecast(state, forecast):
    """Order what the forecast needs beyond yesterday's loaves, no spare, rounded up to an order size.
    When: demand is the same every day, so the forecast is rarely too low."""
    return state.round_order(forecast - state.stock)

def lean_before_quiet_day(state, forecast):
    """Order for the forecast with no spare when tomorrow looks quiet: tonight's leftovers would
    spoil tomorrow. Otherwise keep 2 spare loaves.
    When: tomorrow was a quiet day last week (a Friday in an office district)."""
    spare = 0 if state.demand[-6] < forecast - 2 else 2
    return state.round_order(forecast + spare - state.stock)
'''

# The emergency's reference answer: what a teacher LLM would write once the supplier caps orders.
SUPPLIER_CAP_FUNCTIONS = '''
STAGE = "order"

def stock_up_before_busy_day(state, forecast):
    """Order for the forecast plus 2 spare loaves; the day before a day busier than the supplier's
    cap, order the cap: tonight's leftovers are sold first tomorrow.
    When: the default while the supplier caps orders; tomorrow was busy last week."""
    need = forecast + 2 - state.stock
    if state.order_cap is not None and state.demand[-6] + 2 > state.order_cap:
        need = max(need, state.order_cap)
    return state.round_order(need)
'''


# -- the state, the environment and what functions see -----------------------------------------
@dataclass(frozen=True)
class ShopState:
    step: int  # today, 0 the first day (the decision loop records it as the step)
    days: int
    weekday: int  # 0 Monday to 6 Sunday
    stock: int  # loaves left from yesterday: sold first, thrown away tonight if unsold
    demand: tuple[int, ...]  # customers on each of the last HISTORY days, oldest first
    variant: str
    order_cap: int | None = None  # the supplier's cap while the supplier_cap rule is in force
    stockout_days: int = 0
    waste: int = 0


def allowed_orders(state: ShopState) -> tuple[int, ...]:
    return tuple(n for n in ORDER_SIZES if state.order_cap is None or n <= state.order_cap)


def is_legal(state: ShopState, action: Any) -> bool:
    """An order the supplier accepts (module level: verification pickles it by name)."""
    return not isinstance(action, bool) and action in allowed_orders(state)


def demand_chances(mean: int) -> dict[int, float]:
    """The exact distribution of a day's customers: what the teacher values orders with."""
    out: dict[int, float] = {}
    for noise, p in NOISE.items():
        out[max(0, mean + noise)] = out.get(max(0, mean + noise), 0.0) + p
    return out


class BakeryEnv:
    """Gymnasium's interface: ``reset(seed=)`` -> (state, info); ``step(order)`` -> (state, reward,
    terminated, truncated, info). The reward is minus the day's cost; the task judges success."""

    def __init__(self, variant: str, days: int, level: int, order_cap: int | None):
        self.variant, self.days, self.order_cap = variant, days, order_cap
        self.means = tuple(max(0, m + level) for m in PROFILES[variant])

    def _draw(self, weekday: int) -> int:
        return max(0, self.means[weekday] + int(self.rng.choice(list(NOISE), p=list(NOISE.values()))))

    def reset(self, seed: int | None = None) -> tuple[ShopState, dict[str, Any]]:
        self.rng = np.random.default_rng(seed)
        start = int(self.rng.integers(7))
        history = tuple(self._draw((start - HISTORY + i) % 7) for i in range(HISTORY))
        self.state = ShopState(0, self.days, start, int(self.rng.integers(3)), history, self.variant, self.order_cap)
        return self.state, {"variant": self.variant}

    def step(self, order: int) -> tuple[ShopState, float, bool, bool, dict[str, Any]]:
        s = self.state
        delivered = order if order in allowed_orders(s) else 0  # the supplier refuses a larger order
        customers = self._draw(s.weekday)
        wasted = max(0, s.stock - customers)  # yesterday's loaves go first; the rest spoil tonight
        left = max(0, delivered - max(0, customers - s.stock))  # today's loaves keep one night
        stockout = customers > s.stock + delivered
        self.state = dataclasses.replace(
            s,
            step=s.step + 1,
            weekday=(s.weekday + 1) % 7,
            stock=left,
            demand=(*s.demand[1:], customers),
            stockout_days=s.stockout_days + stockout,
            waste=s.waste + wasted,
        )
        reward = -(STOCKOUT_COST * stockout + WASTE_COST * wasted)
        return self.state, reward, self.state.step >= s.days, False, {"variant": self.variant}


class ShopView:
    """What a function receives as ``state``; its docstring is the vocabulary teachers are shown.

    Attributes: weekday (0 Monday to 6 Sunday), stock (loaves left from yesterday, sold first and
    thrown away tonight if unsold), demand (customers on each of the last 14 days, oldest first:
    demand[-1] yesterday, demand[-7] this weekday last week, demand[-6] tomorrow's weekday last
    week), order_sizes (the orders the supplier accepts), order_cap (the supplier's cap or None).
    Method: round_order(units) -> the smallest accepted order of at least ``units`` (or the largest)."""

    def __init__(
        self, weekday: int, stock: int, demand: tuple[int, ...], order_sizes: tuple[int, ...], order_cap: int | None
    ):
        self.weekday, self.stock, self.demand = weekday, stock, demand
        self.order_sizes, self.order_cap = order_sizes, order_cap

    def round_order(self, units: int) -> int:
        return next((n for n in self.order_sizes if n >= units), self.order_sizes[-1])


# -- the task -----------------------------------------------------------------------------------
class BakeryTask(Task):
    @dataclass(frozen=True)
    class Settings:  # `--set NAME=VALUE` on the command line; `logicdistill tasks show` lists them
        days: int = field(default=20, metadata={"help": "days in an episode"})
        level: int = field(default=0, metadata={"help": "customers added to every day's mean"})
        max_waste: int = field(default=12, metadata={"help": "loaves an episode may throw away and succeed"})

    name = "bakery"
    stages = (
        Stage(
            "forecast",
            ("state",),
            "forecast",
            "today's customers, an int from 0 to 30",
            "forecast today's customers from the last two weeks",
        ),
        Stage(
            "order", ("state", "forecast"), "order", "loaves to order: 0, 2, 4, 6, 8 or 10", "order loaves for today"
        ),
    )
    actions = tuple(str(n) for n in ORDER_SIZES)  # what a KD student names instead of choosing functions
    demonstrators = ("expected-cost",)
    min_gain = 0.5  # half a wasted loaf (the teacher's units): smaller gains are ties, it keeps the default
    recipe = Recipe(data_episodes=60, train_examples=1024)
    variants = tuple(PROFILES)
    held_out = ("steady-shop",)
    metrics = (SUCCESS_RATE, Metric("mean_stockout_days", False, "stockouts"), Metric("mean_waste", False, "waste"))
    emergencies = (
        Emergency(
            "supplier_cap",
            f"the supplier delivers at most {SUPPLIER_CAP} loaves a day; a larger "
            "order is refused and nothing arrives.",
            (("supplier_cap.py", SUPPLIER_CAP_FUNCTIONS),),
        ),
    )

    def __init__(self, settings: Any = None, order_cap: int | None = None):
        super().__init__(settings)  # self.settings: the Settings above, defaults where none are given
        # order_cap is the emergency's rule in force (under_rule); the environment and states carry it
        self.order_cap = order_cap
        self.instruction = (
            "A bakery orders fresh loaves each morning: 0, 2, 4, 6, 8 or 10. Loaves keep one night: yesterday's "
            "are sold first and thrown away tonight if unsold. A stockout is a day customers find the shelf "
            f"empty; win {self.settings.days} days with no stockout and at most {self.settings.max_waste} loaves "
            "thrown away." + (f" New rule: {self.emergencies[0].rule}" if order_cap else "")
        )

    def under_rule(self, emergency: Emergency | None) -> BakeryTask:
        if emergency is None:
            return self
        if emergency.name != "supplier_cap":
            raise UserInputError(f"bakery has no emergency {emergency.name!r}")
        return BakeryTask(self.settings, order_cap=SUPPLIER_CAP)

    # the environment and its judgement
    def make_env(self, variant: str) -> BakeryEnv:
        if variant not in PROFILES:
            raise UserInputError(f"unknown bakery variant {variant!r}; variants: {', '.join(PROFILES)}")
        return BakeryEnv(variant, self.settings.days, self.settings.level, self.order_cap)

    def success(self, state: ShopState) -> bool:
        return state.stockout_days == 0 and state.waste <= self.settings.max_waste

    def episode_figures(self, state: ShopState) -> dict[str, float]:
        return {"stockout_days": state.stockout_days, "waste": state.waste}

    # the function base and its verification
    def bundled_base(self) -> FunctionBase:
        # a package keeps these in files (functions.source.bundled_base); one file keeps source strings
        specs = [
            spec
            for text in (FORECAST_FUNCTIONS, ORDER_FUNCTIONS)
            for spec in functions_from_source(
                text, Provenance(kind="bundled"), Verification(status="trusted"), origin="bakery.py"
            )
        ]
        return FunctionBase(task=self.name, functions=tuple(specs), note="bundled bakery base")

    def verification_samples(self) -> SampleSet:
        """A few days of every variant, played with the fallbacks from fixed seeds."""
        samples = []
        for variant in self.variants:
            env = self.make_env(variant)
            state, _ = env.reset(seed=len(samples))
            for _ in range(min(8, self.settings.days)):
                samples.append(Sample(f"{variant} day {state.step}", state, {}))
                forecast = self.fallback(self.stages[0], state, 0, {})
                state = env.step(self.fallback(self.stages[1], state, 0, {"forecast": forecast}))[0]
        return SampleSet(tuple(samples), is_legal)

    # one decision: what functions see (in process, or rebuilt from plain data in the sandbox)
    def function_view(self, state: ShopState, unit: int, plan: dict[int, dict], previous: dict) -> ShopView:
        return self.view_from_snapshot(self.snapshot(state, unit, plan, previous))

    def snapshot(self, state: ShopState, unit: int, plan: dict[int, dict], previous: dict) -> dict[str, Any]:
        return {
            "weekday": state.weekday,
            "stock": state.stock,
            "demand": state.demand,
            "order_sizes": allowed_orders(state),
            "order_cap": state.order_cap,
        }

    @staticmethod
    def view_from_snapshot(snapshot: dict[str, Any]) -> ShopView:
        return ShopView(**snapshot)

    def state_text(self, state: ShopState, unit: int, results: dict[str, Any]) -> str:
        """E.g. ``Sat, 2 loaves left; customers yesterday 3, Sat last week 7; last 7 days 3 3 4 3 4 7 6``,
        then ``forecast 7`` once forecast: the first line is the same at every stage."""
        day = WEEKDAYS[state.weekday]
        text = (
            f"{day}, {state.stock} loaves left; customers yesterday {state.demand[-1]}, {day} last week "
            f"{state.demand[-7]}; last 7 days {' '.join(map(str, state.demand[-7:]))}"
        )
        if state.order_cap is not None:
            text += f"; supplier cap {state.order_cap}"
        return text + (f"\nforecast {results['forecast']}" if "forecast" in results else "")

    def result_text(
        self, stage: Stage, result: Any, state: ShopState, unit: int, results: dict[str, Any], previous: dict[str, Any]
    ) -> str:
        return f"forecast {result}" if stage.name == "forecast" else f"order {result}"

    def check_result(self, stage: Stage, result: Any, state: ShopState, unit: int) -> int:
        if stage.name == "forecast":
            if isinstance(result, bool) or not isinstance(result, int) or not 0 <= result <= 30:
                raise FunctionError(f"forecast must be an int from 0 to 30, got {result!r}")
            return result
        order = int(result) if isinstance(result, str) and result.isdigit() else result
        if not isinstance(order, int) or not is_legal(state, order):  # a capped supplier's too
            raise FunctionError(f"order must be one of {allowed_orders(state)}, got {result!r}")
        return order

    def fallback(self, stage: Stage, state: ShopState, unit: int, results: dict[str, Any]) -> int:
        """The week's average, and enough for it plus 2 spare: always legal."""
        if stage.name == "forecast":
            return round(sum(state.demand[-7:]) / 7)
        view = self.view_from_snapshot(self.snapshot(state, unit, {}, {}))
        return view.round_order(results.get("forecast", 0) + 2 - state.stock)

    def to_action(self, state: ShopState, results: dict[int, dict[str, Any]]) -> int:
        return int(results[0]["order"])  # a KD student's word "4", or a function's checked 4

    # the offline teacher
    def demonstrator(self, base: FunctionBase, env: Any, horizon: int, kind: str) -> ActionValueDemonstrator:
        return ActionValueDemonstrator(self, base, self.order_value)

    def order_value(self, state: ShopState, unit: int, order: int) -> float:
        """Minus the exact expected cost an order causes: today's stockout, tomorrow's waste of its
        leftovers, and tomorrow's stockout even if tomorrow orders the most the supplier accepts."""
        means = tuple(max(0, m + self.settings.level) for m in PROFILES[state.variant])
        delivered = order if is_legal(state, order) else 0
        biggest = allowed_orders(state)[-1]
        cost = 0.0
        for today, p in demand_chances(means[state.weekday]).items():
            cost += p * STOCKOUT_COST * (today > state.stock + delivered)
            left = max(0, delivered - max(0, today - state.stock))
            for tomorrow, q in demand_chances(means[(state.weekday + 1) % 7]).items():
                cost += p * q * (WASTE_COST * max(0, left - tomorrow) + STOCKOUT_COST * (tomorrow > left + biggest))
        return -cost
