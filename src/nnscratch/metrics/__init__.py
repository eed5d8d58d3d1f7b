"""Metrics of a model's outputs, independent of the training loop that reports them.

``base``: the :class:`~nnscratch.metrics.base.Metric` interface (an accumulator fed one batch
at a time); ``text``: the metrics of generated text, corpus BLEU (computed by sacrebleu, word or
character level) and exact match. The trainer's table of metrics by name
(:data:`nnscratch.train.metrics.METRICS`) imports them; nothing here imports ``train``.
"""
