"""Checking a decoded spec field by field, into spec.py's frozen records.

Apart from spec.py because the checks are most of the code, while most
readers only need the records. Every refusal is a SpecError naming the file
and the field path (`layers[2].weights[1]: expected 2 numbers, got 3`): the
person reading it is an instructor fixing a hand-written file.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from . import choices
from .choices import Options, Parameter
from .descent import descent
from .fields import join_path, kind
from .model import (
    ACTIVATIONS,
    HIDDEN_DELTAS,
    LOSSES,
    MAX_LAYER_SIZE,
    MAX_LAYERS,
    MAX_NAME_CHARS,
    MAX_SAMPLES,
    REDUCTIONS,
    GraphSpec,
    Layer,
    NetworkSpec,
    Sample,
    Spec,
)
from .validate_layers import LayerChecks
from .validate_training import TrainingChecks

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_RESERVED = {"w", "b", "E", "step", "sample", "after", "target", "net", "out", "delta", "eta"}


def validate(data: dict[str, Any], source: str) -> Spec:
    """A network spec, or a graph spec when it has nodes (or inputs but no layers)."""
    check = _Checker(source)
    if "nodes" in data or "inputs" in data and "layers" not in data:
        return check.graph_spec(data)
    return check.network_spec(data)


class _Checker(TrainingChecks, LayerChecks):
    """Network and graph specs; the field primitives are fields.py's, the
    training checks validate_training.py's, the layer kinds' validate_layers.py's."""

    # -- networks ---------------------------------------------------------
    def network_spec(self, data: dict[str, Any]) -> NetworkSpec:
        self.keys(data, "", ("title", "learning_rate", "loss", "reduction", "update_biases",
                             "hidden_deltas_use", "layers", "samples", "training",
                             "notes", "check", "variants") + _parameter_keys(choices.LOSSES.values()))
        for required in ("learning_rate", "loss", "layers", "samples"):
            if required not in data:
                hint = f"; one of: {', '.join(LOSSES)}" if required == "loss" else ""
                raise self.fail(required, f"missing (required{hint})")
        title = self.title(data)
        learning_rate = self.number(data["learning_rate"], "learning_rate")
        if learning_rate <= 0:
            raise self.fail("learning_rate", f"must be greater than 0, got {data['learning_rate']!r}")
        loss = self.choice(data["loss"], "loss", LOSSES)
        loss_options = self.options(data, "", "loss", loss, choices.LOSSES)
        self.updates_limit(data)
        layers = self.layers(data["layers"])
        samples = self.samples(data["samples"], layers)
        self.loss_fits(loss, layers, samples)
        training = self.training(data.get("training"), len(samples))
        spec = NetworkSpec(
            source=self.source,
            title=title,
            learning_rate=learning_rate,
            loss=loss,
            reduction=self.choice(data.get("reduction", "sum"), "reduction", REDUCTIONS),
            update_biases=self.boolean(data.get("update_biases", True), "update_biases"),
            hidden_deltas_use=self.choice(data.get("hidden_deltas_use", "original_weights"),
                                          "hidden_deltas_use", HIDDEN_DELTAS),
            layers=layers,
            samples=samples,
            training=training,
            notes=self.text_table(data, "notes"),
            check=self.table(data.get("check", {}), "check"),
            variants=self.table(data.get("variants", {}), "variants"),
            raw=data,
            loss_options=loss_options,
        )
        self.optimizer_fits(spec)
        self.limits(spec)
        return spec

    def optimizer_fits(self, spec: NetworkSpec) -> None:
        """The older Mazur code's hidden deltas go back through w - eta*g: plain
        gradient descent only (with another optimizer there is no such weight)."""
        settings = spec.training.optimizer
        if spec.hidden_deltas_use == "updated_weights" and any(layer.kind != "dense" for layer in spec.layers[1:]):
            raise self.fail("hidden_deltas_use", "updated_weights is the older Mazur code's convention for dense "
                                                 "layers only; this network has " + next(
                                                     layer.kind for layer in spec.layers[1:] if layer.kind != "dense"))
        if spec.hidden_deltas_use == "updated_weights" and (settings.name != "sgd" or settings.weight_decay):
            raise self.fail("hidden_deltas_use", "updated_weights works only with plain gradient descent "
                                                 "(optimizer = \"sgd\", no weight_decay)")

    def layers(self, value: Any) -> tuple[Layer, ...]:
        if not isinstance(value, list):
            raise self.fail("layers", f"expected a list of layer tables, got {kind(value)}")
        if len(value) < 2:
            raise self.fail("layers", f"expected an input layer and at least one more, got {len(value)} layer(s)")
        if len(value) > MAX_LAYERS:
            raise self.fail("layers", f"at most {MAX_LAYERS} layers are supported, got {len(value)}")
        names = _default_layer_names(len(value))
        layers: list[Layer] = []
        for index, raw in enumerate(value):
            path = f"layers[{index}]"
            table = self.table(raw, path)
            layers.append(self.input_layer(table, path, names[0]) if index == 0
                          else self.hidden_or_output(table, path, names[index], layers[-1]))
        self.layer_kinds_fit(layers)
        seen: dict[str, int] = {}
        for index, layer in enumerate(layers):
            if layer.name in seen:
                raise self.fail(f"layers[{index}].name", f"{layer.name!r} is already the name of layers[{seen[layer.name]}]")
            seen[layer.name] = index
        return tuple(layers)

    def layer_name(self, table: dict[str, Any], path: str, default: str) -> str:
        name = self.text(table.get("name", default), f"{path}.name", MAX_NAME_CHARS, "name")
        if not _NAME.match(name):
            raise self.fail(f"{path}.name", f"{name!r} is not a name: use letters and digits, starting with a letter")
        if name in _RESERVED or name.startswith("d"):
            raise self.fail(f"{path}.name", f"{name!r} would clash with the names of values (w5, b1, dE_total/…); choose another")
        return name

    def input_layer(self, table: dict[str, Any], path: str, default: str) -> Layer:
        self.keys(table, path, ("name", "size", "shape"))
        name = self.layer_name(table, path, default)
        if "shape" in table:
            if "size" in table:
                raise self.fail(f"{path}.size", "give size (a vector) or shape (an image), not both")
            shape = self.image_shape(table["shape"], f"{path}.shape")
            return Layer(name, shape[0] * shape[1] * shape[2], shape=shape)
        if "size" not in table:
            raise self.fail(f"{path}.size", "missing (required; or shape = [channels, rows, columns] for an image)")
        return Layer(name, self.integer(table["size"], f"{path}.size", 1, MAX_LAYER_SIZE))

    def hidden_or_output(self, table: dict[str, Any], path: str, default: str, below: Layer) -> Layer:
        """A layer after the input, by its `type` (SPEC §8; default dense)."""
        kind = self.choice(table.get("type", "dense"), f"{path}.type", tuple(choices.LAYER_KINDS))
        if kind == "conv2d":
            return self.conv_layer(table, path, default, below)
        if kind in ("maxpool2d", "avgpool2d"):
            return self.pool_layer(table, path, default, below, kind)
        if kind == "rnn":
            return self.rnn_layer(table, path, default, below)
        return self.dense_layer(table, path, default, below.size)

    def layer_kinds_fit(self, layers: list[Layer]) -> None:
        """What the kinds ask of each other: no image in a sequence network, and
        a pooling layer is not the output (it has no activation for the loss)."""
        recurrent = next((index for index, layer in enumerate(layers) if layer.kind == "rnn"), None)
        spatial = next((index for index, layer in enumerate(layers) if layer.shape is not None), None)
        if recurrent is not None and spatial is not None:
            raise self.fail(f"layers[{recurrent}].type", f"rnn layers and images do not mix (layers[{spatial}] "
                                                         "has rows and columns)")
        if layers[-1].kind in ("maxpool2d", "avgpool2d"):
            raise self.fail(f"layers[{len(layers) - 1}].type", "the output layer cannot be a pooling layer "
                                                               "(add a dense layer after it)")

    def activation_keys(self) -> tuple[str, ...]:
        return _parameter_keys(choices.ACTIVATIONS.values())

    def activation_of(self, table: dict[str, Any], path: str) -> str:
        if "activation" not in table:
            raise self.fail(f"{path}.activation", f"missing (required; one of: {', '.join(ACTIVATIONS)})")
        return self.choice(table["activation"], f"{path}.activation", ACTIVATIONS)

    def bias_of(self, table: dict[str, Any], path: str, count: int) -> float | tuple[float, ...] | None:
        """A list: one bias per unit (conv2d: per output channel); a number: one shared; absent: none."""
        if "bias" not in table:
            return None
        raw_bias = table["bias"]
        return self.vector(raw_bias, f"{path}.bias", count) if isinstance(raw_bias, list) else self.number(raw_bias, f"{path}.bias")

    def dense_layer(self, table: dict[str, Any], path: str, default: str, previous: int) -> Layer:
        self.keys(table, path, ("name", "type", "size", "activation", "weights", "bias") + self.activation_keys())
        name = self.layer_name(table, path, default)
        activation = self.activation_of(table, path)
        if "weights" not in table:
            raise self.fail(f"{path}.weights", "missing (required: one row of weights per neuron)")
        rows = table["weights"]
        if not isinstance(rows, list) or not rows:
            raise self.fail(f"{path}.weights", f"expected a list of rows (one per neuron), got {kind(rows)}")
        if "size" in table:
            size = self.integer(table["size"], f"{path}.size", 1, MAX_LAYER_SIZE)
            if len(rows) != size:
                raise self.fail(f"{path}.weights", f"expected {size} rows (size = {size}), got {len(rows)}")
        else:
            size = len(rows)
            if size > MAX_LAYER_SIZE:
                raise self.fail(f"{path}.weights", f"at most {MAX_LAYER_SIZE} neurons a layer, got {size}")
        weights = tuple(self.vector(row, f"{path}.weights[{row_index}]", previous) for row_index, row in enumerate(rows))
        bias = self.bias_of(table, path, size)
        options = self.options(table, path, "activation", activation, choices.ACTIVATIONS)
        choice = choices.ACTIVATIONS[activation]
        if size < choice.min_size:
            raise self.fail(f"{path}.activation", f"{activation} needs at least {choice.min_size} neurons "
                                                  f"({choice.min_size_reason})")
        return Layer(name, size, activation, weights, bias, options)

    def options(self, table: dict[str, Any], path: str, kind: str, chosen: str,
                catalogue: Mapping[str, choices.ActivationChoice | choices.LossChoice]) -> Options:
        """The chosen operation's parameters from beside it in `table`; a parameter
        of another operation of the same kind is refused, naming who takes it."""
        own = {parameter.key: parameter for parameter in catalogue[chosen].parameters}
        given: dict[str, float] = {}
        for key in _parameter_keys(catalogue.values()):
            if key not in table:
                continue
            where = join_path(path, key)
            if key not in own:
                takers = [choice.name for choice in catalogue.values() if key in _parameter_keys([choice])]
                raise self.fail(where, f"only {' and '.join(takers)} take{'s' if len(takers) == 1 else ''} "
                                       f"{key} (the {kind} is {chosen})")
            given[key] = self.parameter(table[key], where, own[key])
        return choices.options_of(catalogue[chosen].parameters, given)

    def parameter(self, value: Any, path: str, parameter: Parameter) -> float:
        number = self.number(value, path)
        if not parameter.allows(number):
            raise self.fail(path, f"expected {parameter.range_text()}, got {number:g}")
        return number

    def samples(self, value: Any, layers: tuple[Layer, ...]) -> tuple[Sample, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("samples", f"expected a list of at least one sample, got {kind(value) if not isinstance(value, list) else 'an empty list'}")
        if len(value) > MAX_SAMPLES:
            raise self.fail("samples", f"at most {MAX_SAMPLES} samples are supported, got {len(value)}")
        samples: list[Sample] = []
        sequence = any(layer.kind == "rnn" for layer in layers)
        for index, raw in enumerate(value):
            path = f"samples[{index}]"
            table = self.table(raw, path)
            if sequence:
                samples.append(self.sequence_sample(table, path, layers[0].size, layers[-1].size,
                                                    samples[0] if samples else None))
                continue
            self.keys(table, path, ("inputs", "targets"))
            for key in ("inputs", "targets"):
                if key not in table:
                    raise self.fail(f"{path}.{key}", "missing (required)")
            samples.append(Sample(self.values_of(table["inputs"], f"{path}.inputs", layers[0]),
                                  self.values_of(table["targets"], f"{path}.targets", layers[-1])))
        return tuple(samples)

    def values_of(self, value: Any, path: str, layer: Layer) -> tuple[float, ...]:
        """A vector for a layer with a size, nested [channel][row][column] for an image."""
        return self.vector(value, path, layer.size) if layer.shape is None else self.image(value, path, layer.shape)

    def loss_fits(self, loss: str, layers: tuple[Layer, ...], samples: tuple[Sample, ...]) -> None:
        """What the loss needs of the output layer and the targets (choices.LossChoice).
        Softmax with a squared error is allowed: a valid (if unusual) exercise."""
        choice = choices.LOSSES[loss]
        output = layers[-1]
        problem = choice.problem(output.size, str(output.activation), f"layers[{len(layers) - 1}]")
        if problem is not None:
            raise self.fail("loss", problem)
        for index, sample in enumerate(samples):
            for where, targets in _target_rows(sample, output.size):
                found = choice.target_problem(targets)
                if found is not None:
                    target, message = found
                    raise self.fail(f"samples[{index}].{where}" + ("" if target is None else f"[{target}]"), message)

    # -- computation graphs ------------------------------------------------
    def graph_spec(self, data: dict[str, Any]) -> GraphSpec:
        self.keys(data, "", ("title", "inputs", "nodes", "output", "notes", "check", "variants", "training"))
        for required in ("inputs", "nodes"):
            if required not in data:
                raise self.fail(required, "missing (required)")
        inputs_table = self.table(data["inputs"], "inputs")
        nodes_table = self.table(data["nodes"], "nodes")
        if not nodes_table:
            raise self.fail("nodes", "expected at least one node")
        inputs = tuple((name, self.number(value, f"inputs.{name}")) for name, value in inputs_table.items())
        nodes = tuple((name, self.text(value, f"nodes.{name}")) for name, value in nodes_table.items())
        for path, name in [(f"inputs.{n}", n) for n, _ in inputs] + [(f"nodes.{n}", n) for n, _ in nodes]:
            if len(name) > MAX_NAME_CHARS:
                raise self.fail(path, f"a name of {len(name):,} characters; at most {MAX_NAME_CHARS} (the name size limit)")
            if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", name):
                raise self.fail(path, f"{name!r} is not a name: use letters, digits and _, starting with a letter")
        clash = set(inputs_table) & set(nodes_table)
        if clash:
            raise self.fail(f"nodes.{sorted(clash)[0]}", "is also an input")
        output = self.text(data.get("output", nodes[-1][0]), "output")
        if output not in nodes_table:
            raise self.fail("output", f"{output!r} is not a node")
        training = None
        if "training" in data:
            names = [name for name, _ in inputs] + [name for name, _ in nodes]
            training = descent(self, self.table(data["training"], "training"), [name for name, _ in inputs], names)
        return GraphSpec(self.source, self.title(data),
                         inputs, nodes, output, self.text_table(data, "notes"),
                         self.table(data.get("check", {}), "check"),
                         self.table(data.get("variants", {}), "variants"), raw=data, training=training)


def _parameter_keys(catalogue: Iterable[choices.ActivationChoice | choices.LossChoice]) -> tuple[str, ...]:
    """The spec keys of every parameter of these operations, each once."""
    return tuple(dict.fromkeys(parameter.key for choice in catalogue for parameter in choice.parameters))


def _target_rows(sample: Sample, outputs: int) -> list[tuple[str, tuple[float, ...]]]:
    """A sample's targets as the loss sees them, by field path: one row per
    scored step of a sequence, else the one list."""
    if not sample.steps:
        return [("targets", sample.targets)]
    if sample.targets_last:
        return [("targets_last", sample.targets)]
    return [(f"targets[{step}]", sample.targets[step * outputs:(step + 1) * outputs]) for step in range(sample.steps)]


def _default_layer_names(count: int) -> list[str]:
    hidden = count - 2
    middle = ["h"] if hidden == 1 else [f"h{index + 1}" for index in range(hidden)]
    return ["i", *middle, "o"]
