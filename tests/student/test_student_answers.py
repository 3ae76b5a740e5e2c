"""Answers as a tree of tokens: where candidates part, and what must be fed to score them."""

import pytest
import torch

from logicdistill.student.answers import answer_paths, branch_log_probs
from logicdistill.student.model import default_student_dir


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(default_student_dir())


def test_names_that_differ_from_their_first_token_part_there_and_feed_nothing(tokenizer):
    paths = answer_paths(tokenizer, ["direct_chase", "block_exit", "cut_off_territory"])
    firsts = tuple(sorted(p.tokens[0] for p in paths))
    for p in paths:
        assert [b.depth for b in p.branches] == [0] and p.fed == []
        assert p.branches[0].tokens == firsts and firsts[p.branches[0].own] == p.tokens[0]


def test_names_sharing_a_prefix_feed_it_and_part_where_they_differ(tokenizer):
    names = ["stand_on_13", "stand_on_15", "stand_on_17"]
    paths = answer_paths(tokenizer, names)
    shared = len(paths[0].fed)
    assert shared > 0 and all(p.fed == paths[0].tokens[:shared] for p in paths)
    assert all([b.depth for b in p.branches] == [shared] and len(p.branches[0].tokens) == 3 for p in paths)
    # a name that begins another ends the turn, and the two part at that marker
    a, b = answer_paths(tokenizer, ["flank_target", "flank_target_wide"])
    assert a.branches[-1].depth == b.branches[-1].depth == len(a.tokens) - 1
    assert a.tokens[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")


def test_branch_shares_over_a_tree_make_a_distribution(tokenizer):
    """Whatever the logits, the candidates' probabilities (products over their branches) sum to 1."""
    names = ["stand_on_13", "stand_on_15", "stick_at_total", "hit_soft_17", "hit_while_safe"]
    paths = answer_paths(tokenizer, names)
    torch.manual_seed(0)
    logits = torch.randn(1, 1, tokenizer.vocab_size + 100)
    totals = []
    for p in paths:
        # the same column stands for every depth here: each branch still normalises over its tokens
        zeros = torch.zeros(len(p.branches), dtype=torch.long)
        logp = branch_log_probs(
            logits, zeros, zeros, [b.tokens for b in p.branches], torch.tensor([b.own for b in p.branches])
        )
        totals.append(logp.sum().exp().item())
    # a depth-independent logit row makes every branch an independent softmax: still a distribution
    assert sum(totals) == pytest.approx(1.0, abs=1e-6)
