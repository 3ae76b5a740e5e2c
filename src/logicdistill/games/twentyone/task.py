"""21 Points as an LD task: its settings, two stages (the total worth sticking on, then hit or
stick), the bundled base, the environment, the surrender emergency, the exact policy figures, the
function view and the short state text models read.

The demonstrator, the verification samples and the plots are imported where they are asked for:
the demonstrator imports this module back, and a sandbox worker, which loads this module to
rebuild function views, should not load them at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from logicdistill.errors import FunctionError, UserInputError
from logicdistill.functions import FunctionBase, Stage
from logicdistill.functions.source import bundled_base
from logicdistill.functions.verification.samples import SampleSet
from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.env import ENVS, GymnasiumTwentyOne, TwentyOneEnv, make_env
from logicdistill.games.twentyone.exact import dealer_outcome
from logicdistill.games.twentyone.rules import RULE_SETS, TwentyOneState, action_names, as_action, get_rules, hand_value
from logicdistill.games.twentyone.view import TwentyOneView
from logicdistill.tasks.api import SUCCESS_RATE, Emergency, Metric, Recipe, Task

STAGES = (
    Stage(
        "estimate",
        ("state",),
        "stand_on",
        "the lowest sum worth sticking on, an int from 4 to 22",
        "estimate the lowest sum worth sticking on against this dealer",
    ),
    Stage("decide", ("state", "stand_on"), "action", "'hit' or 'stick'", "decide to hit or stick"),
)
DEFAULT_STAND_ON = 17
NORMAL_RULES = "classic"  # what under_rule(None) restores from an emergency's rule set
MC_HANDS = 20_000  # the Monte Carlo check of the exact value: its standard error is about 0.007 per hand


@dataclass(frozen=True)
class TwentyOneSettings:
    """The rule set and the environment that deals the hands."""

    rules: str = field(default="classic", metadata={"help": f"the rule set: {' | '.join(RULE_SETS)}"})
    env: str = field(
        default="ours",
        metadata={"help": "the environment hands are played in: ours | gymnasium (Gymnasium's own Blackjack-v1)"},
    )


def _emergency(rules: str) -> Emergency:
    """An emergency is a rule set with a new rule, answered by ``emergency_functions/RULES.py``."""
    text = (resources.files("logicdistill.games.twentyone") / "emergency_functions" / f"{rules}.py").read_text(
        encoding="utf-8"
    )
    return Emergency(rules, get_rules(rules).new_rule, ((f"reference:twentyone/{rules}.py", text),))


class TwentyOneTask(Task):
    name = "twentyone"
    Settings = TwentyOneSettings
    stages = STAGES
    demonstrators = ("exact",)  # the exact expected value of every move
    min_gain = 1.0  # exact score in thousandths of a chip per hand (demonstrator.SCALE)
    # Why these (docs/experiments.md has the runs). data_episodes: hands; the 21 Points figures were made on
    # 1,500 (about 20 s). train_examples: regret 0.0005 per hand; 1,280 left 0.0086. learning_rate: 3e-3 made
    # runs depend on the seed; 1e-3 reached regret 0.
    recipe = Recipe(data_episodes=1500, train_examples=2560, learning_rate=1e-3)
    held_out = ()  # nothing to hold out by variant: the test split is every fifth hand
    # regret leads: what an emergency's recovery is measured by (exact, so lower is better without noise)
    metrics = (
        Metric("regret", False, "regret", "{:.4f}"),
        Metric("policy_agreement", True, "optimal", "{:.0%}"),
        SUCCESS_RATE,
    )
    emergencies = (_emergency("surrender"),)

    def __init__(self, settings: TwentyOneSettings | None = None):
        super().__init__(settings)
        if not isinstance(self.settings, TwentyOneSettings):  # the old TwentyOneTask("surrender") would fail later
            raise TypeError(f"TwentyOneTask takes TwentyOneSettings, got {self.settings!r}")
        self.rules = get_rules(self.settings.rules)
        _check_env(self.settings.env, self.rules.surrender)
        self.actions = action_names(self.rules.surrender)  # what a KD student names: "stick", "hit" (...)
        self.instruction = (
            f"21 Points, {self.rules.name} rules: hit to draw a card, stick to stop; over 21 loses. "
            "An ace counts 11 unless that busts (a soft hand). After you stick the dealer draws to 17 "
            f"and the higher total wins; {self.rules.summary}."
            + (f" New rule: {self.rules.new_rule}" if self.rules.new_rule else "")
        )

    # -- configuration ------------------------------------------------------------------------
    def under_rule(self, emergency: Emergency | None) -> TwentyOneTask:
        if emergency is None:
            return self if not self.rules.new_rule else TwentyOneTask(replace(self.settings, rules=NORMAL_RULES))
        # an emergency's rule set exists in our environment only (Gymnasium has no surrender)
        return TwentyOneTask(replace(self.settings, rules=emergency.name, env="ours"))

    # -- the environment ----------------------------------------------------------------------
    @property
    def variants(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.rules.name,)

    def make_env(self, variant: str) -> TwentyOneEnv | GymnasiumTwentyOne:
        if variant not in self.variants:
            raise UserInputError(f"twentyone plays {self.rules.name} rules only, not {variant!r} (set rules=...)")
        return make_env(self.rules, self.settings.env)

    def success(self, state: TwentyOneState) -> bool:
        return state.success

    def episode_text(self, state: TwentyOneState) -> str:
        """``you 10+7 = 17 hard, dealer 10+6+5 = 21, reward -1``: one hand on one line."""
        dealer = "+".join(map(str, state.dealer_cards or (state.dealer_card,)))
        if len(state.dealer_cards) > 1:
            dealer += f" = {hand_value(state.dealer_cards)[0]}"
        text = f"you {_cards_text(state)}, dealer {dealer}"
        return text + (f", reward {state.reward:+g}" if state.done else "")

    def policy_metrics(
        self, decide: Callable[[list[Any]], list[Any]], seed: int, out: Path | None = None
    ) -> dict[str, Any]:
        """The policy over all 280 decision states, valued exactly against optimal play, and
        played for ``MC_HANDS`` hands in the settings' environment as an independent check."""
        policy = self.policy_table(decide)
        figures = policy_figures(policy, self.rules.name)
        mc = exact.monte_carlo_return(policy, self.rules, MC_HANDS, seed, env=self.settings.env)
        figures |= {
            "mc_return": mc.mean,
            "mc_stderr": mc.stderr,
            "mc_hands": mc.hands,
            "mc_within_2_stderr": abs(mc.mean - figures["expected_return_exact"]) <= 2 * mc.stderr,
        }
        if out is not None:
            from logicdistill.games.twentyone.plots import plot_policy  # matplotlib only when drawing

            path = plot_policy(
                policy, Path(out) / "policy.png", title=f"{self.rules.name} rules", rules=self.rules.name
            )
            figures["plot"] = str(path)
        return figures

    def policy_table(self, decide: Callable[[list[Any]], list[Any]]) -> exact.Policy:
        """``decide``'s action in every decision state, as ``exact`` reads a policy."""
        keys = exact.DECISION_KEYS
        actions = list(decide([exact.decision_state(key, self.rules) for key in keys]))
        if len(actions) != len(keys):
            raise ValueError(f"decide gave {len(actions)} actions for {len(keys)} states")
        return {key: as_action(action, self.rules.surrender) for key, action in zip(keys, actions)}

    # -- the function base ----------------------------------------------------------------------
    def bundled_base(self) -> FunctionBase:
        return bundled_base("logicdistill.games.twentyone", self.name, STAGES)

    def verification_samples(self) -> SampleSet:
        from logicdistill.games.twentyone.samples import verification_samples

        return verification_samples(self)

    # -- one decision -------------------------------------------------------------------------
    def units(self, state: TwentyOneState) -> list[int]:
        return [0]

    def function_view(self, state: TwentyOneState, unit: int, plan: dict[int, dict], previous: dict) -> TwentyOneView:
        return TwentyOneView(state)

    def snapshot(self, state: TwentyOneState, unit: int, plan: dict[int, dict], previous: dict) -> dict[str, Any]:
        """Everything ``function_view`` reads, as plain data."""
        return {
            "player_sum": state.player_sum,
            "dealer_card": state.dealer_card,
            "usable_ace": state.usable_ace,
            "rules": state.rules,
        }

    def snapshot_context(self, state: TwentyOneState) -> None:
        return None  # every view is built at once

    @staticmethod
    def view_from_snapshot(snapshot: dict[str, Any]) -> TwentyOneView:
        return TwentyOneView(TwentyOneState(**snapshot))

    def state_text(self, state: TwentyOneState, unit: int, results: dict[str, Any]) -> str:
        """E.g. ``hand 15 hard, dealer shows 10, busts 21%``, then ``stick on 17+`` on a second line
        once estimated: few tokens, and the first line is the same at every stage. The dealer's
        bust chance (``dealer_bust_chance()``, exact) is shown beside the card because it is what
        the manuals' "weak dealer" means: one number to compare instead of a grouping of cards
        (2 to 6 against 7 to ace), which a 135M student trained on ~100 decisions did not learn
        from the card alone (it keyed on the hand's total)."""
        dealer = "ace" if state.dealer_card == 1 else str(state.dealer_card)
        bust = round(100 * dealer_outcome(state.dealer_card).scores.get(0, 0.0))
        text = f"hand {state.player_sum} {'soft' if state.usable_ace else 'hard'}, dealer shows {dealer}, busts {bust}%"
        if "stand_on" in results:
            text += f"\n{_stand_text(results['stand_on'])}"
        return text

    def result_text(
        self,
        stage: Stage,
        result: Any,
        state: TwentyOneState,
        unit: int,
        results: dict[str, Any],
        previous: dict[str, Any],
    ) -> str:
        return _stand_text(result) if stage.name == "estimate" else str(result)

    def check_result(self, stage: Stage, result: Any, state: TwentyOneState, unit: int) -> Any:
        if stage.name == "estimate":
            if isinstance(result, bool) or not isinstance(result, int) or not 4 <= result <= 22:
                raise FunctionError(f"stand_on must be an int from 4 to 22, got {result!r}")
            return result
        surrender = get_rules(state.rules).surrender
        if result not in action_names(surrender):
            allowed = "'hit', 'stick' or 'surrender'" if surrender else "'hit' or 'stick'"
            raise FunctionError(f"action must be {allowed}, got {result!r}")
        return result

    def fallback(self, stage: Stage, state: TwentyOneState, unit: int, results: dict[str, Any]) -> Any:
        """Stick on 17 or more, like the dealer: always valid."""
        if stage.name == "estimate":
            return DEFAULT_STAND_ON
        return "stick" if state.player_sum >= results.get("stand_on", DEFAULT_STAND_ON) else "hit"

    def to_action(self, state: TwentyOneState, results: dict[int, dict[str, Any]]) -> int:
        return as_action(results[0]["action"], get_rules(state.rules).surrender)

    def demonstrator(self, base: FunctionBase, env: Any, horizon: int, kind: str):
        from logicdistill.games.twentyone.demonstrator import TwentyOneDemonstrator

        return TwentyOneDemonstrator(self, base)


def policy_figures(policy: exact.Policy, rules: str) -> dict[str, Any]:
    """Exact figures of a policy table under ``rules``; the table itself goes along as
    ``policy``: ``[player_sum, dealer_card, usable_ace, action]`` rows in ``DECISION_KEYS`` order."""
    optimal_policy = exact.optimal_policy(rules)
    optimal, achieved = exact.optimal_return(rules), exact.policy_return(policy, rules)
    return {
        "rules": rules,
        "expected_return_exact": achieved,
        "optimal_return": optimal,
        "regret": optimal - achieved,
        "policy_agreement": exact.policy_agreement(policy, optimal_policy),
        "policy_agreement_weighted": exact.policy_agreement(policy, optimal_policy, weighted=True),
        "decision_states": len(policy),
        "disagreements": [list(k) for k in exact.DECISION_KEYS if policy[k] != optimal_policy[k]],
        "policy": [[*k, policy[k]] for k in exact.DECISION_KEYS],
    }


def _check_env(env: str, surrender: bool) -> None:
    """Settings errors at construction, not at the first hand."""
    if env not in ENVS:
        raise UserInputError(f"unknown 21 Points environment {env!r}; choose from {', '.join(ENVS)}")
    if env == "gymnasium" and surrender:
        raise UserInputError("Gymnasium's Blackjack-v1 has no surrender; play the surrender rules in env=ours")


def _cards_text(state: TwentyOneState) -> str:
    """The player's cards and total, or the total alone for a state built without cards."""
    kind = "soft" if state.usable_ace else "hard"
    cards = "+".join(map(str, state.player_cards))
    return f"{cards} = {state.player_sum} {kind}" if cards else f"{state.player_sum} {kind}"


def _stand_text(stand_on: int) -> str:
    return f"stick on {stand_on}+"
