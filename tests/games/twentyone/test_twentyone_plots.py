"""The policy grid is written whole, as a PNG."""

from logicdistill.games.twentyone import exact
from logicdistill.games.twentyone.plots import plot_policy


def test_policy_grid_png(tmp_path):
    mimic_dealer = {k: int(k[0] < 17) for k in exact.DECISION_KEYS}
    path = plot_policy(mimic_dealer, tmp_path / "plots" / "grid.png", title="mimic the dealer")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    plot_policy(exact.optimal_policy(), path)  # replaces the file
    assert path.read_bytes() != data
    assert [p.name for p in path.parent.iterdir()] == ["grid.png"]  # no temporary file left behind
