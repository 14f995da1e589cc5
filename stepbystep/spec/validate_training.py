"""Checking `[training]` and the size limits of a network run (SPEC §3, §6).

A mixin of validate._Checker, apart because a run's mode, recorded steps and
the limits on its work are their own concern: a run too long to finish is
refused at once, naming the field and the way out.
"""
from __future__ import annotations

from typing import Any

from .fields import FieldChecks, kind
from .model import (
    MAX_DETAIL_WEIGHTS,
    MAX_EPOCHS,
    MAX_FINAL_PASS,
    MAX_RECORDED_STEPS,
    MAX_SAMPLES,
    MAX_STEPS,
    MAX_TRAINING_WORK,
    MODES,
    NetworkSpec,
    Training,
    steps_per_epoch,
)
from .optimizers import HYPERPARAMETER_KEYS, optimizer_settings


ONE_UPDATE = ("this run makes one update, so there are no loss curves to compare; "
              "train longer ([training] epochs)")


class TrainingChecks(FieldChecks):
    def training(self, value: Any, sample_count: int) -> Training:
        if value is None:
            return Training()
        table = self.table(value, "training")
        self.keys(table, "training", ("mode", "batch_size", "epochs", "record", "shuffle_seed", "optimizer",
                                      "compare") + HYPERPARAMETER_KEYS)
        mode = self.choice(table.get("mode", "batch"), "training.mode", MODES)
        batch_size = None
        if mode == "minibatch":
            if "batch_size" not in table:
                raise self.fail("training.batch_size", "missing (required for minibatch)")
            batch_size = self.integer(table["batch_size"], "training.batch_size", 1, MAX_SAMPLES)
        elif "batch_size" in table:
            raise self.fail("training.batch_size", f"only minibatch mode takes a batch_size (mode is {mode})")
        epochs = self.integer(table.get("epochs", 1), "training.epochs", 1, MAX_EPOCHS)
        steps = epochs * steps_per_epoch(mode, batch_size, sample_count)
        raw_record = table.get("record", [1])
        if not isinstance(raw_record, list):
            raise self.fail("training.record", f"expected a list of step numbers, got {kind(raw_record)}")
        if len(raw_record) > MAX_RECORDED_STEPS:
            raise self.fail("training.record", f"at most {MAX_RECORDED_STEPS} steps can be shown in full, got {len(raw_record)}")
        record = tuple(self.integer(step, f"training.record[{index}]", 1, steps) for index, step in enumerate(raw_record))
        if len(set(record)) != len(record):
            raise self.fail("training.record", "a step is listed twice")
        seed = None
        if "shuffle_seed" in table:
            if mode != "minibatch":
                raise self.fail("training.shuffle_seed", f"only minibatch mode shuffles (mode is {mode})")
            seed = self.integer(table["shuffle_seed"], "training.shuffle_seed", 0, 2**32 - 1)
        settings = optimizer_settings(self, table, "training")
        if settings.compare and steps < 2:
            raise self.fail("training.compare", ONE_UPDATE)
        return Training(mode, batch_size, epochs, tuple(sorted(record)), seed, True, settings)

    def updates_limit(self, data: dict[str, Any]) -> None:
        """The number of updates, from the raw table, before 100,000 samples are
        checked one by one: a run that is too long is refused at once.
        (Malformed fields are left to the checks that follow.)"""
        samples, training = data.get("samples"), data.get("training")
        if not isinstance(samples, list) or not isinstance(training, dict):
            return
        mode, epochs, size = training.get("mode", "batch"), training.get("epochs", 1), training.get("batch_size")
        if mode not in MODES or not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            return
        if mode == "minibatch" and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            return
        self.updates(epochs, steps_per_epoch(mode, size if mode == "minibatch" else None, max(1, len(samples))))

    def updates(self, epochs: int, per_epoch: int) -> None:
        if epochs * per_epoch > MAX_STEPS:
            shown = f"{epochs:,}" if epochs < 10**15 else "far too many"
            raise self.fail("training.epochs", f"{shown} epochs x {per_epoch:,} updates an epoch = "
                                               f"{epochs * per_epoch:,} updates; at most {MAX_STEPS:,} "
                                               "(the updates limit: every update has its after{N}.E_total)")

    def limits(self, spec: NetworkSpec) -> None:
        weights = spec.weight_count
        training = spec.training
        per_step = spec.samples_per_step
        detail = weights * per_step * len(training.record)
        if detail > MAX_DETAIL_WEIGHTS:
            raise self.fail("layers", f"{weights} weights x {per_step} sample(s) x {len(training.record)} recorded step(s) "
                                      f"= {detail} is above the full-detail limit of {MAX_DETAIL_WEIGHTS}; "
                                      + _detail_advice(len(training.record), per_step))
        self.updates(training.epochs, steps_per_epoch(training.mode, training.batch_size, len(spec.samples)))
        final = weights * len(spec.samples)
        if final > MAX_FINAL_PASS:
            raise self.fail("samples", f"{weights:,} weights x {len(spec.samples):,} samples = {final:,}; at most "
                                       f"{MAX_FINAL_PASS:,} (the final-pass limit: the answer key names every value "
                                       "of the forward pass over every sample after the last update)")
        work = weights * len(spec.samples) * training.epochs
        if work > MAX_TRAINING_WORK:
            raise self.fail("training.epochs", f"{weights} weights x {len(spec.samples)} samples x {training.epochs} epochs "
                                               f"is above the limit of {MAX_TRAINING_WORK}")


def _detail_advice(recorded: int, per_step: int) -> str:
    """Only the ways out that apply (with one recorded step, 'record fewer steps' is no help)."""
    ways = (["record fewer steps"] if recorded > 1 else []) \
        + (["use smaller batches (training.mode = \"minibatch\")"] if per_step > 1 else []) \
        + ["use a smaller network"]
    return ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1]
