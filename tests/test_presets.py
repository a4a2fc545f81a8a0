"""Properties every registered preset must have, parametrised over the whole registry
(so a new preset is tested the moment it is registered; its count is pinned in test_parity)."""

import pytest

from tfcli.analysis.classify import classify
from tfcli.build import build_model
from tfcli.catalog import families, presets

ALL = sorted(presets())


@pytest.mark.parametrize("name", ALL)
def test_declared_class_matches_structure(name):
    config = presets()[name].config()
    assert classify(build_model(config, device="meta")).kind == families()[config.family].kind


@pytest.mark.parametrize("name", ALL)
def test_every_preset_names_its_reference(name):
    assert presets()[name].reference


def test_meta_build_restores_init_functions():
    import torch

    from tfcli.catalog import resolve

    before = torch.nn.init.normal_
    build_model(resolve("gpt2").config, device="meta")
    assert torch.nn.init.normal_ is before
    t = torch.nn.init.normal_(torch.zeros(1000), std=1.0)
    assert t.std() > 0.5  # real init still works after a meta build
