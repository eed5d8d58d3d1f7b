"""``nnscratch.metrics`` sits below the training loop: ``train`` imports it, it never imports
``train`` (read statically, with the import-graph checker of tests/test_import_graph.py)."""

from test_import_graph import import_graph


def test_metrics_import_nothing_from_train():
    graph = import_graph()
    metrics = {name: targets for name, targets in graph.items()
               if name == "nnscratch.metrics" or name.startswith("nnscratch.metrics.")}
    assert {"nnscratch.metrics.base", "nnscratch.metrics.text"} <= set(metrics)
    assert "nnscratch.metrics.text" in graph["nnscratch.train.metrics"]  # the one direction
    upward = sorted(f"{name} imports {target}" for name, targets in metrics.items()
                    for target in targets if target.startswith("nnscratch.train"))
    assert upward == []
