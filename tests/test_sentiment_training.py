"""How the sentiment recipe turns several runs into one model: their weights averaged (a model soup)."""

from __future__ import annotations

import torch

from pipelines.provisioning.recipes.sentiment_training import averaged_weights


def small_model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 3)
    model.register_buffer("position_ids", torch.arange(4) * (seed + 1))  # an integer buffer, as BERT keeps
    return model


def test_two_runs_average_weight_by_weight_and_keep_the_first_runs_integer_buffers() -> None:
    first, second = small_model(0), small_model(1)
    soup = averaged_weights([first.state_dict(), second.state_dict()])
    assert torch.allclose(soup["weight"], (first.weight + second.weight) / 2)
    assert torch.allclose(soup["bias"], (first.bias + second.bias) / 2)
    assert soup["position_ids"].tolist() == [0, 1, 2, 3] and soup["position_ids"].dtype == torch.int64
    served = small_model(2)
    served.load_state_dict(soup)
    assert torch.allclose(served(torch.ones(1, 4)), (first(torch.ones(1, 4)) + second(torch.ones(1, 4))) / 2)


def test_one_run_is_the_model_as_it_trained() -> None:
    state = small_model(0).state_dict()
    soup = averaged_weights([state])
    assert soup.keys() == state.keys() and all(torch.equal(soup[name], state[name]) for name in state)
